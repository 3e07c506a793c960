// gpt_cuda_bench: pluma's GPT training step on the GPU, timed: random tokens, zero the gradients,
// forward + backward (mean cross-entropy), one fused AdamW step over the whole parameter block. The same work
// as tools/reference/gpt_gpu_reference.py times in PyTorch, except the gradient-norm clipping (one more read
// of the gradients there).
//
//   gpt_cuda_bench [--preset gpt2-small|shakespeare-char] [--batch B] [--steps N] [--warmup N]
//                  [--precision fp32|tf32|bf16]
//
// Prints the median ms/step and tokens/s; the last line is a JSON summary. Needs a CUDA device.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/core/device_arena.h"
#include "model/gpt/gpt.h"
#include "model/ops/adamw.h"

#ifdef PLUMA_HAVE_CUDA
#include "model/ops/cuda/backend.h"
#endif

namespace {

struct preset {
  const char* name;
  int L, NH, C, T, V, B;
  float dropout;
};

#ifdef PLUMA_HAVE_CUDA
int run(const preset& p, int steps, int warmup, pluma::cuda::matmul_precision prec) {
  using namespace pluma;
  cuda::set_matmul_precision(prec);
  const exec_context ctx{device::cuda, cuda_stream_create()};
  gpt_config cfg;
  cfg.vocab_size = p.V;
  cfg.context = p.T;
  cfg.layers = p.L;
  cfg.heads = p.NH;
  cfg.embd = p.C;
  cfg.dropout = p.dropout;
  gpt_model model(cfg);
  const status st = model.set_device(ctx);
  if (!st) {
    std::fprintf(stderr, "gpt_cuda_bench: %s\n", st.message().c_str());
    return 1;
  }
  model.init_params(1);
  const size_t n = model.params().size();
  device_arena m, v;
  if (!m.resize(n, ctx) || !v.resize(n, ctx)) {
    std::fprintf(stderr, "gpt_cuda_bench: no GPU memory for the AdamW moments\n");
    return 1;
  }
  adamw_params hp;
  hp.lr = 6e-4f;
  hp.beta2 = 0.95f;
  hp.weight_decay = 0.1f;   // (applied to every parameter here; the trainer decays matrices only)
  const int B = p.B, T = p.T;
  rng gen(42), drop(7);
  std::vector<int> inputs(size_t(B) * T), targets(inputs.size());
  std::vector<double> ms;
  float loss = 0.0f;
  for (int step = 0; step < warmup + steps; step++) {
    for (auto& x : inputs) x = int(gen.below(p.V));
    for (auto& x : targets) x = int(gen.below(p.V));
    device_synchronize(ctx);
    const auto t0 = std::chrono::steady_clock::now();
    model.zero_grads();
    loss = model.forward_backward(inputs.data(), targets.data(), B, T, 1.0f, drop);
    hp.step = step + 1;
    adamw_update(ctx, model.param_block(), model.grad_block(), m.data(), v.data(), n, hp, 1.0f);
    device_synchronize(ctx);
    const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (step >= warmup) ms.push_back(dt);
  }
  if (!std::isfinite(loss)) {
    std::fprintf(stderr, "gpt_cuda_bench: the loss is not finite (%f): the timings are void\n", loss);
    return 1;
  }
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2];
  const double tok_s = B * double(T) / (med * 1e-3);
  const double n_model = double(n) - double(T) * p.C;   // without the position embedding
  const double flops_per_token = 6.0 * n_model + 12.0 * p.L * p.C * double(T);
  std::printf("%s, B=%d T=%d, %s matmuls on %s: %.2f ms/step (min %.2f, max %.2f), %.0f tokens/s, "
              "%.1f TFLOP/s of model FLOPs, loss %.4f\n",
              p.name, B, T, cuda::matmul_precision_name(prec), cuda_device_description().c_str(), med, ms.front(),
              ms.back(), tok_s, flops_per_token * tok_s / 1e12, loss);
  std::printf("{\"bench\": \"pluma_gpt\", \"preset\": \"%s\", \"precision\": \"%s\", \"B\": %d, \"T\": %d, "
              "\"params\": %zu, \"ms_per_step\": %.4f, \"tokens_per_s\": %.1f, \"flops_per_token\": %.6g, "
              "\"loss\": %.5f}\n",
              p.name, cuda::matmul_precision_name(prec), B, T, n, med, tok_s, flops_per_token, loss);
  cuda_stream_destroy(ctx.stream);
  return 0;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  preset p{"gpt2-small", 12, 12, 768, 1024, 50304, 8, 0.0f};
  int steps = 20, warmup = 3;
  std::string precision = "fp32";
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--preset" && has_value) {
      const std::string name = argv[++i];
      if (name == "shakespeare-char")
        p = {"shakespeare-char", 6, 6, 384, 256, 65, 64, 0.2f};
      else if (name != "gpt2-small") {
        std::fprintf(stderr, "gpt_cuda_bench: unknown preset '%s' (gpt2-small, shakespeare-char)\n", name.c_str());
        return 2;
      }
    } else if (a == "--batch" && has_value) {
      p.B = std::atoi(argv[++i]);
    } else if (a == "--steps" && has_value) {
      steps = std::atoi(argv[++i]);
    } else if (a == "--warmup" && has_value) {
      warmup = std::atoi(argv[++i]);
    } else if (a == "--precision" && has_value) {
      precision = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: gpt_cuda_bench [--preset gpt2-small|shakespeare-char] [--batch B] [--steps N] "
                   "[--warmup N] [--precision fp32|tf32|bf16]\n");
      return 2;
    }
  }
  if (p.B < 1 || steps < 1 || warmup < 0 || (precision != "fp32" && precision != "tf32" && precision != "bf16")) {
    std::fprintf(stderr, "gpt_cuda_bench: --batch, --steps positive, --warmup >= 0; --precision fp32, tf32 or bf16\n");
    return 2;
  }
  std::string why;
  if (!pluma::cuda_available(why)) {
    std::fprintf(stderr, "gpt_cuda_bench: no CUDA device: %s\n", why.c_str());
    return 1;
  }
#ifdef PLUMA_HAVE_CUDA
  const auto prec = precision == "tf32"   ? pluma::cuda::matmul_precision::tf32
                    : precision == "bf16" ? pluma::cuda::matmul_precision::bf16
                                          : pluma::cuda::matmul_precision::fp32;
  return run(p, steps, warmup, prec);
#else
  return 1;
#endif
}
