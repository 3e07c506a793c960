// bench_gemm: every GEMM of one baby-GPT training step (B*T = 768, C = 128, V = 69), forward and both
// backward products, through the CPU backend's gemm (cpu/gemm.h), timed one by one. Reports the best of
// many repeats in wall time and in the calling thread's CPU time (steadier on a loaded machine; with one
// thread it is the whole cost). Usage: bench_gemm [threads] [min_seconds_per_shape] [fp32|bf16]; with bf16 the
// operands are given as bf16 copies (as the GPT keeps them under --precision bf16), products summed in fp32.
// Environment: BT=rows (default 768, the baby's B*T; 384 is half of it), BIAS=1 (forward products add a bias),
// SHAPE=M,K,N (that forward product alone).
#include <omp.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/core/rng.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/gemm_bf16.h"

using namespace pluma;

namespace {

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double wall() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct shape {
  const char* name;
  int M, K, N;
  bool a_trans, b_trans, accumulate;
  int count;   // how many times one training step runs it (4 layers)
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const double min_s = argc > 2 ? std::atof(argv[2]) : 0.3;
  const bool bf16 = argc > 3 && std::string(argv[3]) == "bf16";
  omp_set_num_threads(threads);
  const int BT = std::getenv("BT") ? std::atoi(std::getenv("BT")) : 768, C = 128, V = 69;
  // forward: out (BT, OC) = inp (BT, IC) · Wᵀ, W (OC, IC); dinp (BT, IC) += dout (BT, OC) · W;
  // dW (OC, IC) += doutᵀ · inp
  std::vector<shape> shapes = {
      {"qkv fwd", BT, C, 3 * C, false, true, false, 4},         {"qkv dinp", BT, 3 * C, C, false, false, true, 4},
      {"qkv dW", 3 * C, BT, C, true, false, true, 4},           {"attproj fwd", BT, C, C, false, true, false, 4},
      {"attproj dinp", BT, C, C, false, false, true, 4},        {"attproj dW", C, BT, C, true, false, true, 4},
      {"fc fwd", BT, C, 4 * C, false, true, false, 4},          {"fc dinp", BT, 4 * C, C, false, false, true, 4},
      {"fc dW", 4 * C, BT, C, true, false, true, 4},            {"fcproj fwd", BT, 4 * C, C, false, true, false, 4},
      {"fcproj dinp", BT, C, 4 * C, false, false, true, 4},     {"fcproj dW", C, BT, 4 * C, true, false, true, 4},
      {"lm_head fwd", BT, C, V, false, true, false, 1},         {"lm_head dinp", BT, V, C, false, false, true, 1},
      {"lm_head dW", V, BT, C, true, false, true, 1},
  };
  size_t floats = size_t(BT) * 4 * C;
  if (const char* one = std::getenv("SHAPE")) {   // M,K,N: that forward product alone
    shape s{"custom", 0, 0, 0, false, true, false, 1};
    if (std::sscanf(one, "%d,%d,%d", &s.M, &s.K, &s.N) != 3 || s.M <= 0 || s.K <= 0 || s.N <= 0) {
      std::fprintf(stderr, "bench_gemm: SHAPE must be M,K,N\n");
      return 2;
    }
    shapes = {s};
    floats = std::max({size_t(s.M) * s.K, size_t(s.K) * s.N, size_t(s.M) * s.N});
  }
  rng g(1);
  std::vector<float> A(floats), B(floats), Cm(floats);
  for (auto& x : A) x = g.normal();
  for (auto& x : B) x = g.normal();
  std::vector<uint16_t> A16(A.size()), B16(B.size());
  cpu::to_bf16(A16.data(), A.data(), A.size());
  cpu::to_bf16(B16.data(), B.data(), B.size());
  double total_wall = 0, total_cpu = 0, total_flops = 0;
  std::printf("%-14s %16s %10s %10s %9s %9s\n", "gemm", "MxKxN", "wall_us", "cpu_us", "GF/wall", "GF/cpu");
  for (const shape& s : shapes) {
    cpu::gemm_desc d;
    d.M = s.M, d.K = s.K, d.N = s.N;
    cpu::set_plain(d.a_strides, s.a_trans ? s.M : s.K, s.a_trans);
    cpu::set_plain(d.b_strides, s.b_trans ? s.K : s.N, s.b_trans);
    cpu::set_plain(d.c_strides, s.N, false);
    d.accumulate = s.accumulate;
    d.bf16 = bf16;
    d.bias = std::getenv("BIAS") && !s.accumulate;
    auto run = [&] { cpu::gemm(d, A.data(), A16.data(), B.data(), B16.data(), d.bias ? A.data() : nullptr, Cm.data()); };
    run();
    double best_w = 1e9, best_c = 1e9;
    const double start = wall();
    for (int i = 0; i < 20 || wall() - start < min_s; i++) {
      const double w0 = wall(), c0 = thread_cpu();
      run();
      best_c = std::min(best_c, thread_cpu() - c0);
      best_w = std::min(best_w, wall() - w0);
    }
    const double flops = 2.0 * s.M * s.K * s.N;
    std::printf("%-14s %5dx%4dx%4d %10.1f %10.1f %9.1f %9.1f\n", s.name, s.M, s.K, s.N, best_w * 1e6, best_c * 1e6,
                flops / best_w * 1e-9, flops / best_c * 1e-9);
    total_wall += s.count * best_w, total_cpu += s.count * best_c, total_flops += s.count * flops;
  }
  std::printf("one step's GEMMs: %.2f ms wall (%.1f GFLOP/s), %.2f ms CPU of the calling thread, %.2f GFLOP\n",
              total_wall * 1e3, total_flops / total_wall * 1e-9, total_cpu * 1e3, total_flops * 1e-9);
  return 0;
}
