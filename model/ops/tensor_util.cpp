// Dispatch of the tensor_util ops to their backend.
#include "model/ops/tensor_util.h"

#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/tensor_util.h"
#include "model/core/check.h"
#include "model/ops/dispatch.h"

namespace pluma {

void tensor_fill(const exec_context& ctx, float* out, float value, long N) {
  PLUMA_DISPATCH(tensor_fill, ctx, out, value, N);
}

void zero_to_overwrite(const exec_context& ctx, grad_write write, float* g, long N) {
  if (g && write == grad_write::overwrite) tensor_fill(ctx, g, 0.0f, N);
}

void tensor_copy(const exec_context& ctx, float* out, const float* inp, long N) {
  PLUMA_DISPATCH_CPU_ONLY(tensor_copy, ctx, out, inp, N);
}

void tensor_fill_normal(const exec_context& ctx, float* out, float mean, float std, long N, rng& gen) {
  PLUMA_DISPATCH(tensor_fill_normal, ctx, out, mean, std, N, gen);
}

double tensor_sum(const exec_context& ctx, const float* inp, long N) {
  PLUMA_DISPATCH(tensor_sum, ctx, inp, N);
}

double tensor_sumsq(const exec_context& ctx, const float* inp, long N) {
  PLUMA_DISPATCH(tensor_sumsq, ctx, inp, N);
}

void tensor_to_bf16(const exec_context& ctx, uint16_t* out, const float* inp, long N) {
  PLUMA_CHECK(ctx.dev == device::cpu, "tensor_to_bf16: CPU only");
  cpu::to_bf16(out, inp, static_cast<size_t>(N));
}

long targets_count(const exec_context& ctx, const int* targets, long N) {
  PLUMA_DISPATCH(targets_count, ctx, targets, N);
}

}  // namespace pluma
