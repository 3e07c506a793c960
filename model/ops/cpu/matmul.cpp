// matmul on the CPU: oneDNN matmul primitives, one per (shape, kind), created on first use and reused.
// Backward accumulates straight into the gradients with oneDNN's sum post-op (no temporaries).
#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {
namespace {

// dst (M, N) = A (M, K) · B (K, N) [+ bias (N)] [+ dst]; A is stored row-major, or transposed as (K, M)
// when a_trans; B likewise as (N, K) when b_trans.
struct gemm_key {
  int M, K, N;
  bool a_trans, b_trans, bias, accumulate;
  bool operator==(const gemm_key&) const = default;
};

struct gemm_key_hash {
  size_t operator()(const gemm_key& k) const {
    size_t h = std::hash<long long>()((static_cast<long long>(k.M) << 42) ^
                                      (static_cast<long long>(k.K) << 21) ^ k.N);
    return h ^ (k.a_trans | k.b_trans << 1 | k.bias << 2 | k.accumulate << 3) * 0x9E3779B97F4A7C15ULL;
  }
};

// A primitive with its memory objects; each call only swaps the data pointers, so a warm call allocates nothing.
struct gemm_plan {
  dnnl::matmul prim;
  dnnl::memory a, b, bias, dst;
  dnnl_exec_arg_t args[4];
  int nargs = 0;
};

dnnl::memory::desc matrix_desc(int rows, int cols, bool stored_transposed) {
  using dnnl::memory;
  const memory::dims strides = stored_transposed ? memory::dims{1, rows} : memory::dims{cols, 1};
  return memory::desc({rows, cols}, memory::data_type::f32, strides);
}

class gemm_cache {
 public:
  void run(const gemm_key& key, const float* A, const float* B, const float* bias, float* dst) {
    std::lock_guard<std::mutex> lock(mu_);   // callers are single-threaded; this only guards the map
    gemm_plan& p = plan(key);
    p.a.set_data_handle(const_cast<float*>(A));
    p.b.set_data_handle(const_cast<float*>(B));
    if (key.bias) p.bias.set_data_handle(const_cast<float*>(bias));
    p.dst.set_data_handle(dst);
    dnnl_status_t st = dnnl_primitive_execute(p.prim.get(), stream_.get(), p.nargs, p.args);
    PLUMA_CHECK(st == dnnl_success, "oneDNN matmul execution failed");
    stream_.wait();
  }

  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return plans_.size();
  }

 private:
  gemm_plan& plan(const gemm_key& key) {
    auto it = plans_.find(key);
    if (it != plans_.end()) return *it->second;
    auto p = std::make_unique<gemm_plan>();
    try {
      const auto a_md = matrix_desc(key.M, key.K, key.a_trans);
      const auto b_md = matrix_desc(key.K, key.N, key.b_trans);
      const auto dst_md = matrix_desc(key.M, key.N, false);
      const auto bias_md = key.bias ? matrix_desc(1, key.N, false) : dnnl::memory::desc();
      dnnl::primitive_attr attr;
      if (key.accumulate) {
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
      }
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, bias_md, dst_md), attr, engine_);
      p->prim = dnnl::matmul(pd);
      p->a = dnnl::memory(a_md, engine_, nullptr);
      p->b = dnnl::memory(b_md, engine_, nullptr);
      p->dst = dnnl::memory(dst_md, engine_, nullptr);
      p->args[p->nargs++] = {DNNL_ARG_SRC, p->a.get()};
      p->args[p->nargs++] = {DNNL_ARG_WEIGHTS, p->b.get()};
      p->args[p->nargs++] = {DNNL_ARG_DST, p->dst.get()};
      if (key.bias) {
        p->bias = dnnl::memory(bias_md, engine_, nullptr);
        p->args[p->nargs++] = {DNNL_ARG_BIAS, p->bias.get()};
      }
    } catch (const dnnl::error& e) {
      PLUMA_CHECK(false, e.what());
    }
    return *plans_.emplace(key, std::move(p)).first->second;
  }

  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{engine_};
  std::mutex mu_;
  std::unordered_map<gemm_key, std::unique_ptr<gemm_plan>, gemm_key_hash> plans_;
};

gemm_cache& cache() {
  static gemm_cache c;
  return c;
}

}  // namespace

void matmul_forward(const exec_context&, float* out, const float* inp, const float* weight,
                    const float* bias, int N, int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_forward: bad dimensions");
  if (N == 0) return;
  // out (N, OC) = inp (N, C) · weightᵀ, weight (OC, C) read as a transposed (C, OC)
  cache().run({N, C, OC, false, true, bias != nullptr, false}, inp, weight, bias, out);
}

void matmul_backward(const exec_context&, float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int N, int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_backward: bad dimensions");
  if (N == 0) return;
  // dinp (N, C) += dout (N, OC) · weight (OC, C)
  if (dinp) cache().run({N, OC, C, false, false, false, true}, dout, weight, nullptr, dinp);
  // dweight (OC, C) += doutᵀ (OC, N) · inp (N, C), dout read as a transposed (OC, N)
  cache().run({OC, N, C, true, false, false, true}, dout, inp, nullptr, dweight);
  // dbias (OC) += column sums of dout
  if (dbias) add_column_sums(dbias, dout, N, OC);
}

size_t matmul_primitive_count() { return cache().size(); }

void matmul_forward_reference(float* out, const float* inp, const float* weight, const float* bias, int N,
                              int C, int OC) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    for (int o = 0; o < OC; o++) {
      double acc = bias ? bias[o] : 0.0;
      for (int c = 0; c < C; c++) acc += static_cast<double>(inp[(long)n * C + c]) * weight[(long)o * C + c];
      out[(long)n * OC + o] = static_cast<float>(acc);
    }
  }
}

void matmul_backward_reference(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, int N, int C, int OC) {
  if (dinp) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
      for (int c = 0; c < C; c++) {
        double acc = 0.0;
        for (int o = 0; o < OC; o++) acc += static_cast<double>(dout[(long)n * OC + o]) * weight[(long)o * C + c];
        dinp[(long)n * C + c] += static_cast<float>(acc);
      }
    }
  }
#pragma omp parallel for schedule(static)
  for (int o = 0; o < OC; o++) {
    for (int c = 0; c < C; c++) {
      double acc = 0.0;
      for (int n = 0; n < N; n++) acc += static_cast<double>(dout[(long)n * OC + o]) * inp[(long)n * C + c];
      dweight[(long)o * C + c] += static_cast<float>(acc);
    }
    if (dbias) {
      double acc = 0.0;
      for (int n = 0; n < N; n++) acc += dout[(long)n * OC + o];
      dbias[o] += static_cast<float>(acc);
    }
  }
}

}  // namespace pluma::cpu
