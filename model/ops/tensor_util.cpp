// Dispatch of the tensor_util ops to their backend (CPU only so far).
#include "model/ops/tensor_util.h"

#include "model/core/check.h"
#include "model/ops/cpu/tensor_util.h"

namespace pluma {

#define PLUMA_CPU_ONLY(name, ctx) PLUMA_CHECK((ctx).dev == device::cpu, #name ": no CUDA kernel yet")

void tensor_fill(const exec_context& ctx, float* out, float value, long N) {
  PLUMA_CPU_ONLY(tensor_fill, ctx);
  cpu::tensor_fill(ctx, out, value, N);
}

void tensor_fill_normal(const exec_context& ctx, float* out, float mean, float std, long N, rng& gen) {
  PLUMA_CPU_ONLY(tensor_fill_normal, ctx);
  cpu::tensor_fill_normal(ctx, out, mean, std, N, gen);
}

double tensor_sum(const exec_context& ctx, const float* inp, long N) {
  PLUMA_CPU_ONLY(tensor_sum, ctx);
  return cpu::tensor_sum(ctx, inp, N);
}

long targets_count(const exec_context& ctx, const int* targets, long N) {
  PLUMA_CPU_ONLY(targets_count, ctx);
  return cpu::targets_count(ctx, targets, N);
}

}  // namespace pluma
