// bench_ops: op microbenchmarks on the CPU. Each op is checked for correctness before it is timed.
// Prints one JSON object per line: {"op": .., "shape": .., "ms": .., "gflops": ..}
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "model/core/rng.h"
#include "model/ops/attention.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/layernorm.h"
#include "model/ops/lstm.h"
#include "model/ops/matmul.h"

using namespace pluma;

namespace {

std::vector<float> randn(size_t n, uint64_t seed) {
  rng g(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = g.normal();
  return v;
}

// Median seconds of fn over repeats lasting at least min_s (after 2 warm-up calls).
double time_median(const std::function<void()>& fn, double min_s = 0.5) {
  fn();
  fn();
  std::vector<double> t;
  auto start = std::chrono::steady_clock::now();
  while (t.size() < 5 || std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < min_s) {
    auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    if (t.size() > 100000) break;
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

void report(const char* op, const std::string& shape, double s, double flops) {
  std::printf("{\"op\": \"%s\", \"shape\": \"%s\", \"ms\": %.4f, \"gflops\": %.1f}\n", op, shape.c_str(), s * 1e3,
              flops / s * 1e-9);
  std::fflush(stdout);
}

bool bench_matmul(const char* name, int N, int C, int OC) {
  auto x = randn(size_t(N) * C, 1), w = randn(size_t(OC) * C, 2), b = randn(OC, 3);
  std::vector<float> out(size_t(N) * OC), ref(size_t(N) * OC);
  const auto& ctx = cpu_context();
  matmul_forward(ctx, out.data(), x.data(), w.data(), b.data(), N, C, OC);
  if (size_t(N) * C * OC <= size_t(1) << 27) {   // the double-precision oracle is slow; check model shapes only
    cpu::matmul_forward_reference(ref.data(), x.data(), w.data(), b.data(), N, C, OC);
    double err = 0, mag = 0;
    for (size_t i = 0; i < out.size(); i++) err = std::max(err, double(std::fabs(out[i] - ref[i]))), mag = std::max(mag, double(std::fabs(ref[i])));
    if (err > 1e-4 * mag) {
      std::fprintf(stderr, "bench_ops: matmul %s is wrong (max err %g)\n", name, err);
      return false;
    }
  }
  char shape[96];
  std::snprintf(shape, sizeof shape, "%s %dx%d->%d", name, N, C, OC);
  double s = time_median([&] { matmul_forward(ctx, out.data(), x.data(), w.data(), b.data(), N, C, OC); });
  report("matmul_fwd", shape, s, 2.0 * N * C * OC);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 0;
  if (threads > 0) omp_set_num_threads(threads);
  bool ok = true;
  // Large square: the machine's fp32 GEMM peak as oneDNN reaches it.
  ok &= bench_matmul("square", 2048, 2048, 2048);
  // The baby GPT's shapes (B*T = 768, C = 128) and shakespeare-char's (B*T = 16384, C = 384).
  ok &= bench_matmul("gpt qkv", 768, 128, 384);
  ok &= bench_matmul("gpt fc", 768, 128, 512);
  ok &= bench_matmul("gpt proj", 768, 512, 128);
  ok &= bench_matmul("gpt lm_head", 768, 128, 69);
  ok &= bench_matmul("lstm256 input", 2048, 256, 1024);
  ok &= bench_matmul("lstm256 step", 32, 256, 1024);
  ok &= bench_matmul("lstm512 step", 32, 512, 2048);

  {  // attention forward + backward at the baby GPT's shape
    const int B = 12, T = 64, C = 128, NH = 4;
    auto qkv = randn(size_t(B) * T * 3 * C, 4), dout = randn(size_t(B) * T * C, 5);
    std::vector<float> out(size_t(B) * T * C), att(size_t(B) * NH * T * T), dqkv(qkv.size());
    const auto& ctx = cpu_context();
    double s = time_median([&] {
      attention_forward(ctx, out.data(), att.data(), qkv.data(), B, T, C, NH);
      attention_backward(ctx, dqkv.data(), dout.data(), qkv.data(), att.data(), B, T, C, NH);
    });
    double hs = C / NH, flops = 3.0 * (2.0 * B * NH * T * T * hs * 2);   // fwd QK, AV; bwd twice that
    report("attention_fwd_bwd", "B12 T64 C128 NH4", s, flops);
  }
  {  // layernorm forward + backward
    const int N = 768, C = 128;
    auto x = randn(size_t(N) * C, 6), w = randn(C, 7), b = randn(C, 8), dout = randn(size_t(N) * C, 9);
    std::vector<float> out(x.size()), mean(N), rstd(N), dx(x.size()), dw(C), db(C);
    const auto& ctx = cpu_context();
    double s = time_median([&] {
      layernorm_forward(ctx, out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
      layernorm_backward(ctx, dx.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), mean.data(),
                         rstd.data(), N, C);
    });
    report("layernorm_fwd_bwd", "768x128", s, 0);
  }
  for (int H : {256, 512}) {   // LSTM: one layer over a training window (oneDNN primitive), and one decoding step
    const int T = 64, B = 32, C = H;
    auto x = randn(size_t(T) * B * C, 10), wih = randn(size_t(4) * H * C, 11), whh = randn(size_t(4) * H * H, 12);
    auto bih = randn(size_t(4) * H, 13), bhh = randn(size_t(4) * H, 14), dh = randn(size_t(T) * B * H, 15);
    for (auto* v : {&wih, &whh}) for (auto& e : *v) e *= 0.05f;
    std::vector<float> h(size_t(T) * B * H), dx(x.size()), dwih(wih.size()), dwhh(whh.size()), dbih(bih.size()),
        dbhh(bhh.size());
    lstm_primitive prim(cpu_context(), T, B, C, H);
    double s = time_median([&] {
      prim.forward(h.data(), nullptr, nullptr, x.data(), nullptr, nullptr, wih.data(), whh.data(), bih.data(),
                   bhh.data(), true);
      prim.backward(dx.data(), nullptr, nullptr, dwih.data(), dwhh.data(), dbih.data(), dbhh.data(), dh.data(),
                    nullptr, nullptr);
    });
    char shape[64];
    std::snprintf(shape, sizeof shape, "T%d B%d %dx%d", T, B, C, H);
    report("lstm_layer_fwd_bwd", shape, s, 3.0 * 2.0 * T * B * 4.0 * H * (C + H));   // backward twice forward
    std::vector<float> hs(size_t(B) * H), cs(size_t(B) * H), scratch(lstm_step_scratch_floats(1, H));
    s = time_median([&] {
      lstm_step(cpu_context(), hs.data(), cs.data(), x.data(), hs.data(), cs.data(), wih.data(), whh.data(),
                bih.data(), bhh.data(), scratch.data(), 1, C, H);
    });
    std::snprintf(shape, sizeof shape, "B1 %dx%d", C, H);
    report("lstm_step", shape, s, 2.0 * 4.0 * H * (C + H));
  }
  return ok ? 0 : 1;
}
