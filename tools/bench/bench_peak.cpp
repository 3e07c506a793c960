// bench_peak: this machine's arithmetic ceilings, measured, for the benchmark's "fraction of peak" columns.
//   fma_fp32   : 512-bit fused multiply-adds from registers only (no memory), 16 independent chains per thread
//   dpbf16     : the same with vdpbf16ps (AVX512-BF16: 32 bf16 products summed into 16 fp32 lanes) when the
//                compiler targets it
//   gemm_fp32  : oneDNN's fp32 matmul at 2048³ (what a large GEMM reaches: the practical fp32 peak)
//   gemm_bf16  : oneDNN's matmul at 2048³ with bf16 operands already in memory, fp32 output (the practical
//                bf16 peak; pluma's --precision bf16 pays a conversion on top of it)
// Usage: bench_peak [threads]. Prints one JSON object per line: {"peak": name, "gflops": x, "threads": n}.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void report(const char* name, double gflops, int threads) {
  std::printf("{\"peak\": \"%s\", \"gflops\": %.1f, \"threads\": %d}\n", name, gflops, threads);
  std::fflush(stdout);
}

// Best of 5 timings of fn(), which performs `flops` floating-point operations.
template <class F>
double best_gflops(F&& fn, double flops) {
  fn();
  double best = 1e30;
  for (int r = 0; r < 5; r++) {
    const double t0 = now();
    fn();
    best = std::min(best, now() - t0);
  }
  return flops / best * 1e-9;
}

#ifdef __AVX512F__
float lanes_sum(__m512 v) {
  float lanes[16];
  _mm512_storeu_ps(lanes, v);
  float t = 0;
  for (float x : lanes) t += x;
  return t;
}

constexpr int chains = 16;   // independent accumulators: enough to cover FMA latency on two pipes
constexpr long reps = 4000000;

float fma_loop(float seed) {
  __m512 acc[chains];
  for (int k = 0; k < chains; k++) acc[k] = _mm512_set1_ps(seed + k);
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-4f);
  for (long i = 0; i < reps; i++)
#pragma GCC unroll 16
    for (int k = 0; k < chains; k++) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  __m512 s = acc[0];
  for (int k = 1; k < chains; k++) s = _mm512_add_ps(s, acc[k]);
  return lanes_sum(s);
}
#endif

#ifdef __AVX512BF16__
float dpbf16_loop(float seed) {
  __m512 acc[chains];
  for (int k = 0; k < chains; k++) acc[k] = _mm512_set1_ps(seed + k);
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-4f), _mm512_set1_ps(2e-4f));
  for (long i = 0; i < reps; i++)
#pragma GCC unroll 16
    for (int k = 0; k < chains; k++) acc[k] = _mm512_dpbf16_ps(acc[k], a, b);
  __m512 s = acc[0];
  for (int k = 1; k < chains; k++) s = _mm512_add_ps(s, acc[k]);
  return lanes_sum(s);
}
#endif

// The register loop on every thread at once; FLOPs per instruction: 2 per lane (fp32 FMA), 4 per fp32 lane
// (dpbf16: two products and their sum added in).
template <class Loop>
double register_peak(Loop loop, double flops_per_instruction, int threads) {
  volatile float sink = 0;
  auto run = [&] {
#pragma omp parallel num_threads(threads)
    {
      const float r = loop(float(omp_get_thread_num()));
      if (r == 12345.0f) sink = r;   // keeps the loop
    }
  };
  return best_gflops(run, double(threads) * reps * chains * flops_per_instruction);
}

double gemm_peak(dnnl::memory::data_type operands, int n) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const dnnl::memory::desc a_md({n, n}, operands, tag::ab), b_md({n, n}, operands, tag::ab),
      c_md({n, n}, dt::f32, tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), eng);
  dnnl::matmul prim(pd);
  dnnl::memory a(a_md, eng), b(b_md, eng), c(c_md, eng);
  // operands of moderate size (bf16's bits of 0.5 are 0x3f00; a float 0.5 likewise in either width)
  const size_t bytes = a_md.get_size();
  std::vector<unsigned char> fill(bytes);
  if (operands == dt::bf16)
    for (size_t i = 0; i + 1 < bytes; i += 2) fill[i] = 0x00, fill[i + 1] = 0x3f;
  else
    for (size_t i = 0; i + 3 < bytes; i += 4) fill[i] = 0, fill[i + 1] = 0, fill[i + 2] = 0, fill[i + 3] = 0x3f;
  std::copy(fill.begin(), fill.end(), static_cast<unsigned char*>(a.get_data_handle()));
  std::copy(fill.begin(), fill.end(), static_cast<unsigned char*>(b.get_data_handle()));
  auto run = [&] {
    prim.execute(strm, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    strm.wait();
  };
  return best_gflops(run, 2.0 * n * n * n);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2;
  omp_set_num_threads(threads);
#ifdef __AVX512F__
  report("fma_fp32", register_peak(fma_loop, 32.0, threads), threads);
#endif
#ifdef __AVX512BF16__
  report("dpbf16", register_peak(dpbf16_loop, 64.0, threads), threads);
#endif
  report("gemm_fp32", gemm_peak(dnnl::memory::data_type::f32, 2048), threads);
  report("gemm_bf16", gemm_peak(dnnl::memory::data_type::bf16, 2048), threads);
  return 0;
}
