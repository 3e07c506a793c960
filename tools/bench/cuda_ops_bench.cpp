// cuda_ops_bench: every CUDA op at the shapes of one GPT training step, timed with device events (median of
// repeats after warm-up), next to its floor (FLOPs over the matmul ceiling, or bytes over the copy ceiling,
// both measured here first). The per-op times, multiplied by how often a step calls each op, give the step
// time of a GPT made only of these ops: the figure the model's real step should approach.
//
//   cuda_ops_bench [--preset gpt2-small|shakespeare-char] [--batch B] [--reps N] [--precision fp32|tf32|bf16]
//
// Prints one table; the last line is a JSON summary. Needs a CUDA device (exit 1 with the reason without one).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "model/core/device_arena.h"
#include "model/core/rng.h"
#include "model/ops/adamw.h"
#include "model/ops/attention.h"
#include "model/ops/embedding.h"
#include "model/ops/gelu.h"
#include "model/ops/layernorm.h"
#include "model/ops/matmul.h"
#include "model/ops/residual.h"
#include "model/ops/softmax_xent.h"

#ifdef PLUMA_HAVE_CUDA
#include "model/ops/cuda/backend.h"
#endif

namespace {

struct shape {
  const char* name;
  int L, NH, C, T, V, B;
};

#ifdef PLUMA_HAVE_CUDA
using namespace pluma;

// A device buffer of n floats filled with small random values on the device (never zeros: they time
// differently).
struct dev_floats {
  device_buffer buf;
  float* p = nullptr;
  dev_floats(const exec_context& ctx, size_t n, float scale = 0.1f, uint64_t seed = 1) {
    const status st = buf.allocate(n * sizeof(float));
    if (!st) {
      std::fprintf(stderr, "cuda_ops_bench: %s\n", st.message().c_str());
      std::exit(1);
    }
    p = buf.as<float>();
    rng gen(seed);
    cuda::tensor_fill_normal(ctx, p, 0.0f, scale, static_cast<long>(n), gen);
  }
};

struct dev_ints {
  device_buffer buf;
  int* p = nullptr;
  dev_ints(const exec_context& ctx, size_t n, int V, uint64_t seed) {
    if (!buf.allocate(n * sizeof(int))) {
      std::fprintf(stderr, "cuda_ops_bench: out of GPU memory\n");
      std::exit(1);
    }
    p = buf.as<int>();
    std::vector<int> h(n);
    rng gen(seed);
    for (auto& x : h) x = static_cast<int>(gen.below(static_cast<uint64_t>(V)));
    device_copy_to(ctx, p, h.data(), n * sizeof(int));
    device_synchronize(ctx);
  }
};

// Median milliseconds of f() over reps runs on ctx's stream, after warm-up runs.
double time_ms(const exec_context& ctx, int reps, const std::function<void()>& f) {
  for (int i = 0; i < 3; i++) f();
  void* a = device_event_create();
  void* b = device_event_create();
  std::vector<double> ms;
  for (int i = 0; i < reps; i++) {
    device_event_record(a, ctx);
    f();
    device_event_record(b, ctx);
    ms.push_back(device_event_elapsed_ms(a, b));
  }
  device_event_destroy(a);
  device_event_destroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

struct row {
  std::string name;
  double ms, flops, bytes;
  int per_step;   // calls per training step
};

int run(const shape& sh, int reps, cuda::matmul_precision prec) {
  const exec_context ctx{device::cuda, cuda_stream_create()};
  std::printf("device: %s\n", cuda_device_description().c_str());
  const int L = sh.L, NH = sh.NH, C = sh.C, T = sh.T, V = sh.V, B = sh.B;
  const long BT = static_cast<long>(B) * T;

  // ---- the two ceilings: device-to-device copy bandwidth, and a large matmul in each precision
  const size_t copy_n = size_t(1) << 28;   // 1 GiB of floats each way
  dev_floats csrc(ctx, copy_n), cdst(ctx, copy_n);
  const double copy_ms = time_ms(ctx, reps, [&] { device_copy(ctx, cdst.p, csrc.p, copy_n * 4); });
  const double bw = 2.0 * copy_n * 4 / (copy_ms * 1e-3);   // bytes read + written per second
  const int G = 8192;
  dev_floats ga(ctx, size_t(G) * G), gb(ctx, size_t(G) * G), gc(ctx, size_t(G) * G);
  double peak[3];
  const cuda::matmul_precision modes[3] = {cuda::matmul_precision::fp32, cuda::matmul_precision::tf32,
                                           cuda::matmul_precision::bf16};
  for (int i = 0; i < 3; i++) {
    cuda::set_matmul_precision(modes[i]);
    const double ms = time_ms(ctx, std::max(3, reps / 4),
                              [&] { matmul_forward(ctx, gc.p, ga.p, gb.p, nullptr, G, G, G); });
    peak[i] = 2.0 * G * G * double(G) / (ms * 1e-3);
  }
  cuda::set_matmul_precision(prec);
  const double mm_peak = peak[static_cast<int>(prec)];
  std::printf("ceilings: copy %.0f GB/s; matmul %dx%dx%d fp32 %.1f, tf32 %.1f, bf16 %.1f TFLOP/s (ops run in %s)\n",
              bw / 1e9, G, G, G, peak[0] / 1e12, peak[1] / 1e12, peak[2] / 1e12, cuda::matmul_precision_name(prec));

  // ---- buffers of one layer (reused for every layer: the op times do not depend on which layer)
  dev_floats x(ctx, BT * C), x2(ctx, BT * C), dx(ctx, BT * C), ln(ctx, BT * C), dln(ctx, BT * C);
  dev_floats mean(ctx, BT), rstd(ctx, BT), lnb(ctx, C), dlnw(ctx, C), dlnb(ctx, C);
  dev_floats qkv(ctx, BT * 3 * C, 1.0f), dqkv(ctx, BT * 3 * C), atty(ctx, BT * C), datty(ctx, BT * C);
  dev_floats att(ctx, size_t(B) * NH * T * T);
  dev_floats fch(ctx, BT * 4 * C), dfch(ctx, BT * 4 * C), fchg(ctx, BT * 4 * C), dfchg(ctx, BT * 4 * C);
  dev_floats wqkv(ctx, size_t(3) * C * C, 0.02f), bqkv(ctx, 3 * C), dwqkv(ctx, size_t(3) * C * C), dbqkv(ctx, 3 * C);
  dev_floats wfc(ctx, size_t(4) * C * C, 0.02f), bfc(ctx, 4 * C), dwfc(ctx, size_t(4) * C * C), dbfc(ctx, 4 * C);
  dev_floats wte(ctx, size_t(V) * C, 0.02f), dwte(ctx, size_t(V) * C), wpe(ctx, size_t(T) * C), dwpe(ctx, size_t(T) * C);
  dev_floats logits(ctx, BT * V, 1.0f), probs(ctx, BT * V), dlogits(ctx, BT * V), losses(ctx, BT), dlosses(ctx, BT, 1e-4f);
  dev_ints tokens(ctx, BT, V, 3), targets(ctx, BT, V, 4);
  const long nparams = long(V) * C + long(T) * C + L * (12L * C * C + 13L * C) + 2L * C;
  dev_floats params(ctx, nparams, 0.02f), grads(ctx, nparams, 1e-3f), m1(ctx, nparams, 1e-4f), m2(ctx, nparams, 1e-6f, 9);
  dev_floats lnw(ctx, C, 0.1f, 5);
  cuda::tensor_fill(ctx, lnw.p, 1.0f, C);   // LayerNorm weights near one
  cuda::tensor_fill(ctx, m2.p, 1e-6f, nparams);   // second moments positive
  device_synchronize(ctx);

  std::vector<row> rows;
  auto add = [&](const char* name, double flops, double bytes, int per_step, const std::function<void()>& f) {
    rows.push_back({name, time_ms(ctx, reps, f), flops, bytes, per_step});
  };
  const double f4 = 4.0;   // bytes per float
  const double mmC = 2.0 * BT * C * C;
  add("embedding fwd", 0, f4 * 3 * BT * C, 1, [&] { embedding_forward(ctx, x.p, tokens.p, wte.p, wpe.p, B, T, C); });
  add("embedding bwd", 0, f4 * 3 * BT * C, 1, [&] { embedding_backward(ctx, dwte.p, dwpe.p, dx.p, tokens.p, B, T, C); });
  add("layernorm fwd", 0, f4 * 2 * BT * C, 2 * L + 1,
      [&] { layernorm_forward(ctx, ln.p, mean.p, rstd.p, x.p, lnw.p, lnb.p, int(BT), C); });
  add("layernorm bwd", 0, f4 * 4 * BT * C, 2 * L + 1,
      [&] { layernorm_backward(ctx, dx.p, dlnw.p, dlnb.p, dln.p, x.p, lnw.p, mean.p, rstd.p, int(BT), C); });
  add("matmul qkv fwd", 3 * mmC, f4 * (BT * C + 3.0 * C * C + 3.0 * BT * C), L,
      [&] { matmul_forward(ctx, qkv.p, ln.p, wqkv.p, bqkv.p, int(BT), C, 3 * C); });
  add("matmul qkv bwd", 6 * mmC, f4 * 2 * (BT * C + 3.0 * C * C + 3.0 * BT * C), L,
      [&] { matmul_backward(ctx, dln.p, dwqkv.p, dbqkv.p, dqkv.p, ln.p, wqkv.p, int(BT), C, 3 * C); });
  // causal attention: q·kᵀ and att·v over half the (T, T) square, twice that backward (plus recomputation)
  const double att_flops = 2.0 * 2.0 * B * NH * double(T) * T * (C / NH) / 2.0;
  add("attention fwd", att_flops, f4 * (4.0 * BT * C + double(B) * NH * T * T), L,
      [&] { attention_forward(ctx, atty.p, att.p, qkv.p, B, T, C, NH); });
  add("attention bwd", 2 * att_flops, f4 * (8.0 * BT * C + double(B) * NH * T * T), L,
      [&] { attention_backward(ctx, dqkv.p, datty.p, qkv.p, att.p, B, T, C, NH); });
  add("matmul attproj fwd", mmC, f4 * (2.0 * BT * C + C * C), L,
      [&] { matmul_forward(ctx, x2.p, atty.p, wqkv.p, bqkv.p, int(BT), C, C); });
  add("matmul attproj bwd", 2 * mmC, f4 * 2 * (2.0 * BT * C + C * C), L,
      [&] { matmul_backward(ctx, datty.p, dwqkv.p, dbqkv.p, dx.p, atty.p, wqkv.p, int(BT), C, C); });
  add("residual fwd", 0, f4 * 3 * BT * C, 2 * L, [&] { residual_forward(ctx, x2.p, x.p, atty.p, BT * C); });
  add("residual bwd", 0, f4 * 5 * BT * C, 2 * L, [&] { residual_backward(ctx, dx.p, datty.p, dln.p, BT * C); });
  add("matmul fc fwd", 4 * mmC, f4 * (5.0 * BT * C + 4.0 * C * C), L,
      [&] { matmul_forward(ctx, fch.p, ln.p, wfc.p, bfc.p, int(BT), C, 4 * C); });
  add("matmul fc bwd", 8 * mmC, f4 * 2 * (5.0 * BT * C + 4.0 * C * C), L,
      [&] { matmul_backward(ctx, dln.p, dwfc.p, dbfc.p, dfch.p, ln.p, wfc.p, int(BT), C, 4 * C); });
  add("gelu fwd", 0, f4 * 2 * 4 * BT * C, L, [&] { gelu_forward(ctx, fchg.p, fch.p, 4 * BT * C); });
  add("gelu bwd", 0, f4 * 4 * 4 * BT * C, L, [&] { gelu_backward(ctx, dfch.p, fch.p, dfchg.p, 4 * BT * C); });
  add("matmul fcproj fwd", 4 * mmC, f4 * (5.0 * BT * C + 4.0 * C * C), L,
      [&] { matmul_forward(ctx, x2.p, fchg.p, wfc.p, bfc.p, int(BT), 4 * C, C); });
  add("matmul fcproj bwd", 8 * mmC, f4 * 2 * (5.0 * BT * C + 4.0 * C * C), L,
      [&] { matmul_backward(ctx, dfchg.p, dwfc.p, dbfc.p, dx.p, fchg.p, wfc.p, int(BT), 4 * C, C); });
  const double head = 2.0 * BT * C * double(V);
  add("matmul lm head fwd", head, f4 * (BT * C + double(V) * C + BT * double(V)), 1,
      [&] { matmul_forward(ctx, logits.p, ln.p, wte.p, nullptr, int(BT), C, V); });
  add("matmul lm head bwd", 2 * head, f4 * 2 * (BT * C + double(V) * C + BT * double(V)), 1,
      [&] { matmul_backward(ctx, dln.p, dwte.p, nullptr, dlogits.p, ln.p, wte.p, int(BT), C, V); });
  add("softmax_xent fwd", 0, f4 * 2 * BT * double(V), 1,
      [&] { softmax_xent_forward(ctx, losses.p, probs.p, logits.p, targets.p, int(BT), V, 0.0f); });
  add("softmax_xent bwd", 0, f4 * 3 * BT * double(V), 1,
      [&] { softmax_xent_backward(ctx, dlogits.p, dlosses.p, probs.p, targets.p, int(BT), V, 0.0f); });
  adamw_params hp;
  hp.lr = 6e-4f;
  hp.weight_decay = 0.1f;
  add("adamw (all params)", 0, f4 * 7 * double(nparams), 1,
      [&] { adamw_update(ctx, params.p, grads.p, m1.p, m2.p, size_t(nparams), hp, 1.0f); });

  // every output finite (the parity test checks values; this guards the timed buffers)
  std::vector<float> probe(1024);
  for (float* p : {x.p, ln.p, qkv.p, atty.p, fchg.p, logits.p, probs.p, losses.p, params.p, dqkv.p}) {
    device_copy_from(ctx, probe.data(), p, probe.size() * sizeof(float));
    for (float v : probe)
      if (!std::isfinite(v)) {
        std::fprintf(stderr, "cuda_ops_bench: a non-finite value in an op output: the numbers below are void\n");
        return 1;
      }
  }

  std::printf("\n%-20s %6s %10s %10s %10s %9s %6s\n", "op", "calls", "ms", "TFLOP/s", "GB/s", "floor ms", "x floor");
  double step_ms = 0.0, step_flops = 0.0;
  for (const row& r : rows) {
    const double floor_ms = std::max(r.flops / mm_peak, r.bytes / bw) * 1e3;
    std::printf("%-20s %6d %10.3f %10.2f %10.0f %9.3f %6.1f\n", r.name.c_str(), r.per_step, r.ms,
                r.flops / (r.ms * 1e-3) / 1e12, r.bytes / (r.ms * 1e-3) / 1e9, floor_ms, r.ms / floor_ms);
    step_ms += r.ms * r.per_step;
    step_flops += r.flops * r.per_step;
  }
  // model FLOPs per token as nanoGPT estimates them: 6 N (N without the position embedding) + 12 L C T
  const double n_model = double(nparams) - double(T) * C;
  const double flops_per_token = 6.0 * n_model + 12.0 * L * C * double(T);
  const double tok_s = BT / (step_ms * 1e-3);
  std::printf("\n%s, B=%d T=%d: ops-only step %.2f ms, %.0f tokens/s, %.1f TFLOP/s counted; model FLOPs/token %.3g; "
              "%.1f%% of the measured %s matmul ceiling\n",
              sh.name, B, T, step_ms, tok_s, step_flops / (step_ms * 1e-3) / 1e12, flops_per_token,
              100.0 * tok_s * flops_per_token / mm_peak, cuda::matmul_precision_name(prec));
  std::printf("{\"bench\": \"cuda_ops\", \"preset\": \"%s\", \"B\": %d, \"T\": %d, \"precision\": \"%s\", "
              "\"step_ms\": %.4f, \"tokens_per_s\": %.1f, \"flops_per_token\": %.6g, \"copy_gbs\": %.1f, "
              "\"ceiling_tflops\": {\"fp32\": %.2f, \"tf32\": %.2f, \"bf16\": %.2f}}\n",
              sh.name, B, T, cuda::matmul_precision_name(prec), step_ms, tok_s, flops_per_token, bw / 1e9,
              peak[0] / 1e12, peak[1] / 1e12, peak[2] / 1e12);
  cuda_stream_destroy(ctx.stream);
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  shape sh{"gpt2-small", 12, 12, 768, 1024, 50304, 8};
  int reps = 20;
  std::string precision = "fp32";
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--preset" && v) {
      const std::string p = argv[++i];
      if (p == "shakespeare-char")
        sh = {"shakespeare-char", 6, 6, 384, 256, 65, 64};
      else if (p != "gpt2-small") {
        std::fprintf(stderr, "cuda_ops_bench: unknown preset '%s' (gpt2-small, shakespeare-char)\n", p.c_str());
        return 2;
      }
    } else if (a == "--batch" && v) {
      sh.B = std::atoi(argv[++i]);
    } else if (a == "--reps" && v) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--precision" && v) {
      precision = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: cuda_ops_bench [--preset gpt2-small|shakespeare-char] [--batch B] [--reps N] "
                   "[--precision fp32|tf32|bf16]\n");
      return 2;
    }
  }
  if (sh.B < 1 || reps < 1 || (precision != "fp32" && precision != "tf32" && precision != "bf16")) {
    std::fprintf(stderr, "cuda_ops_bench: --batch and --reps must be positive; --precision fp32, tf32 or bf16\n");
    return 2;
  }
  std::string why;
  if (!pluma::cuda_available(why)) {
    std::fprintf(stderr, "cuda_ops_bench: no CUDA device: %s\n", why.c_str());
    return 1;
  }
#ifdef PLUMA_HAVE_CUDA
  const auto prec = precision == "tf32"   ? pluma::cuda::matmul_precision::tf32
                    : precision == "bf16" ? pluma::cuda::matmul_precision::bf16
                                          : pluma::cuda::matmul_precision::fp32;
  return run(sh, reps, prec);
#else
  return 1;
#endif
}
