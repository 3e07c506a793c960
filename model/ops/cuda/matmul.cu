// matmul on the GPU through cuBLASLt: out = inp · weightᵀ + bias with the bias added in the GEMM epilogue.
// Row-major (N, C) buffers are column-major (C, N) to cuBLAS, so each product below is written transposed.
// One plan (descriptors + heuristic algorithm) per shape, kind, precision and pointer alignment, made on
// first use and reused. A shape cuBLASLt has no algorithm for falls back to cublasGemmEx (bias then
// pre-broadcast into the output). The bias gradient is a deterministic column sum (no atomics).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/column_sums.cuh"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr size_t workspace_bytes = 32u << 20;   // cuBLASLt scratch: 32 MiB, allocated once

matmul_precision precision_from_env() {
  const char* s = std::getenv("PLUMA_CUDA_MATMUL");
  if (s && std::strcmp(s, "tf32") == 0) return matmul_precision::tf32;
  if (s && std::strcmp(s, "bf16") == 0) return matmul_precision::bf16;
  return matmul_precision::fp32;
}

cublasComputeType_t compute_type(matmul_precision p) {
  switch (p) {
    case matmul_precision::tf32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case matmul_precision::bf16: return CUBLAS_COMPUTE_32F_FAST_16BF;
    case matmul_precision::fp32: break;
  }
  return CUBLAS_COMPUTE_32F;
}

// The largest power of two up to 256 that divides the address (cuBLASLt filters algorithms by alignment).
int alignment_of(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  int align = 256;
  while (align > 4 && (a % align) != 0) align /= 2;
  return align;
}

// D (m, n) = op(A) (m, k) · op(B) (k, n) [+ bias (m) broadcast over columns] [+ D], all column-major.
struct gemm_key {
  int m, n, k;
  bool ta, tb;
  int lda, ldb, ldd;
  bool bias, accumulate;
  matmul_precision precision;
  int align_a, align_b, align_d, align_bias;
  bool fallback;   // cublasGemmEx instead of cuBLASLt (tests)
  bool operator==(const gemm_key& o) const {
    return m == o.m && n == o.n && k == o.k && ta == o.ta && tb == o.tb && lda == o.lda && ldb == o.ldb &&
           ldd == o.ldd && bias == o.bias && accumulate == o.accumulate && precision == o.precision &&
           align_a == o.align_a && align_b == o.align_b && align_d == o.align_d && align_bias == o.align_bias &&
           fallback == o.fallback;
  }
};

struct gemm_key_hash {
  size_t operator()(const gemm_key& k) const {
    size_t h = 1469598103934665603ULL;
    auto mix = [&](long v) { h = (h ^ static_cast<size_t>(v)) * 1099511628211ULL; };
    mix(k.m); mix(k.n); mix(k.k); mix(k.ta); mix(k.tb); mix(k.lda); mix(k.ldb); mix(k.ldd);
    mix(k.bias); mix(k.accumulate); mix(static_cast<int>(k.precision));
    mix(k.align_a); mix(k.align_b); mix(k.align_d); mix(k.align_bias); mix(k.fallback);
    return h;
  }
};

struct gemm_plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool has_algo = false;   // false: use the cublasGemmEx fallback
  ~gemm_plan() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

__global__ void broadcast_rows_kernel(float* out, const float* bias, int N, int OC) {
  const long total = static_cast<long>(N) * OC;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x)
    out[i] = bias[i % OC];
}

class gemm_engine {
 public:
  static gemm_engine& get() {
    static gemm_engine e;
    return e;
  }

  void run(cudaStream_t stream, const gemm_key& key, const float* A, const float* B, const float* bias, float* D) {
    std::lock_guard<std::mutex> lock(mu_);
    ensure_handles();
    gemm_plan& p = plan(key);
    const float alpha = 1.0f, beta = key.accumulate ? 1.0f : 0.0f;
    if (p.has_algo) {
      if (key.bias)
        CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
      CUBLAS_CHECK(cublasLtMatmul(lt_, p.desc, &alpha, A, p.a, B, p.b, &beta, D, p.d, D, p.d, &p.algo,
                                  workspace_, workspace_bytes, stream));
      return;
    }
    // fallback: bias broadcast into D first, then D = A·B + D
    float beta_eff = beta;
    if (key.bias) {
      const long total = static_cast<long>(key.m) * key.n;
      broadcast_rows_kernel<<<grid_for(total, 256), 256, 0, stream>>>(D, bias, key.n, key.m);
      CUDA_CHECK_LAUNCH();
      beta_eff = 1.0f;
    }
    CUBLAS_CHECK(cublasSetStream(blas_, stream));
    CUBLAS_CHECK(cublasGemmEx(blas_, key.ta ? CUBLAS_OP_T : CUBLAS_OP_N, key.tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                              key.m, key.n, key.k, &alpha, A, CUDA_R_32F, key.lda, B, CUDA_R_32F, key.ldb,
                              &beta_eff, D, CUDA_R_32F, key.ldd, compute_type(key.precision),
                              CUBLAS_GEMM_DEFAULT));
  }

  bool force_fallback = false;   // tests: exercise the cublasGemmEx path
  matmul_precision precision = precision_from_env();

 private:
  gemm_engine() = default;
  // Handles and workspace live for the process (destroying them at exit could outlive the CUDA context).

  void ensure_handles() {
    if (lt_) return;
    CUBLAS_CHECK(cublasLtCreate(&lt_));
    CUBLAS_CHECK(cublasCreate(&blas_));
    CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes));
  }

  gemm_plan& plan(const gemm_key& key) {
    auto it = plans_.find(key);
    if (it != plans_.end()) return *it->second;
    auto p = std::make_unique<gemm_plan>();
    CUBLAS_CHECK(cublasLtMatmulDescCreate(&p->desc, compute_type(key.precision), CUDA_R_32F));
    const cublasOperation_t ta = key.ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb = key.tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
    const cublasLtEpilogue_t epilogue = key.bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
    CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
    // stored shapes (before op): A is (k, m) when transposed, else (m, k); B is (n, k) or (k, n)
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_32F, key.ta ? key.k : key.m, key.ta ? key.m : key.k, key.lda));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_32F, key.tb ? key.n : key.k, key.tb ? key.k : key.n, key.ldb));
    CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&p->d, CUDA_R_32F, key.m, key.n, key.ldd));
    if (!key.fallback) {
      cublasLtMatmulPreference_t pref;
      CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
      const size_t ws = workspace_bytes;
      CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
      const uint32_t aa = key.align_a, ab = key.align_b, ad = key.align_d;
      CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &aa, sizeof(aa)));
      CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &ab, sizeof(ab)));
      CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &ad, sizeof(ad)));
      CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &ad, sizeof(ad)));
      cublasLtMatmulHeuristicResult_t result{};
      int found = 0;
      const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(lt_, p->desc, p->a, p->b, p->d, p->d, pref, 1,
                                                               &result, &found);
      CUBLAS_CHECK(cublasLtMatmulPreferenceDestroy(pref));
      // NOT_SUPPORTED (no algorithm for this case) selects the fallback; any other failure is fatal
      if (st != CUBLAS_STATUS_NOT_SUPPORTED) CUBLAS_CHECK(st);
      if (st == CUBLAS_STATUS_SUCCESS && found > 0) {
        p->algo = result.algo;
        p->has_algo = true;
      }
    }
    return *plans_.emplace(key, std::move(p)).first->second;
  }

  std::mutex mu_;
  cublasLtHandle_t lt_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  void* workspace_ = nullptr;
  std::unordered_map<gemm_key, std::unique_ptr<gemm_plan>, gemm_key_hash> plans_;
};

void gemm(const exec_context& ctx, bool ta, bool tb, int m, int n, int k, const float* A, int lda, const float* B,
          int ldb, float* D, int ldd, const float* bias, bool accumulate) {
  PLUMA_CHECK(!(bias && accumulate), "matmul: a bias epilogue never accumulates");
  gemm_engine& e = gemm_engine::get();
  const gemm_key key{m, n, k, ta, tb, lda, ldb, ldd, bias != nullptr, accumulate, e.precision,
                     alignment_of(A), alignment_of(B), alignment_of(D), bias ? alignment_of(bias) : 0,
                     e.force_fallback};
  e.run(stream_of(ctx), key, A, B, bias, D);
}

// dout's column sums: the summand at (n, o)
struct dout_terms {
  const float* dout;   // (N, OC)
  int OC;
  __device__ void operator()(int n, int o, float* v) const { v[0] = dout[static_cast<long>(n) * OC + o]; }
};

}  // namespace

void set_matmul_precision(matmul_precision p) { gemm_engine::get().precision = p; }
matmul_precision get_matmul_precision() { return gemm_engine::get().precision; }

void set_matmul_fallback(bool on) { gemm_engine::get().force_fallback = on; }

void matmul_forward(const exec_context& ctx, float* out, const float* inp, const float* weight,
                    const float* bias, int N, int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_forward: bad dimensions");
  if (N == 0) return;
  // outᵀ (OC, N) = weightᵀ-as-stored (C, OC), transposed · inpᵀ (C, N)
  gemm(ctx, true, false, OC, N, C, weight, C, inp, C, out, OC, bias, false);
}

void matmul_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int N, int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_backward: bad dimensions");
  if (N == 0) return;
  // dinp (N, C) += dout · weight:  dinpᵀ (C, N) += weight-as-stored (C, OC) · doutᵀ (OC, N)
  if (dinp) gemm(ctx, false, false, C, N, OC, weight, C, dout, OC, dinp, C, nullptr, true);
  // dweight (OC, C) += doutᵀ · inp:  dweightᵀ (C, OC) += inpᵀ (C, N) · (doutᵀ (OC, N))ᵀ
  gemm(ctx, false, true, C, OC, N, inp, C, dout, OC, dweight, C, nullptr, true);
  if (dbias) column_sums<1>(stream_of(ctx), column_outputs<1>{{dbias}}, dout_terms{dout, OC}, N, OC);
}

}  // namespace pluma::cuda
