// Dispatch of the layernorm op to its backend.
#include "model/ops/layernorm.h"

#include "model/ops/dispatch.h"
#include "model/ops/tensor_util.h"

namespace pluma {

void layernorm_forward(const exec_context& ctx, operand_out out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int N, int C) {
  op_profile_scope prof("layernorm_forward");
  if (ctx.dev == device::cpu) return cpu::layernorm_forward(ctx, out, mean, rstd, inp, weight, bias, N, C);
  PLUMA_DISPATCH_CUDA(layernorm_forward, ctx, fp32_only(out, "layernorm_forward: a bf16 output on CUDA"), mean, rstd,
                      inp, weight, bias, N, C);
}

void layernorm_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                        const float* dout, const float* inp, const float* weight, const float* mean,
                        const float* rstd, int N, int C, grad_write dinp_write, grad_write params_write) {
  op_profile_scope prof("layernorm_backward");
  if (ctx.dev == device::cpu)
    return cpu::layernorm_backward(ctx, dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, dinp_write,
                                   params_write);
  // the CUDA kernel adds: overwriting is adding into zeros
  zero_to_overwrite(ctx, dinp_write, dinp, long(N) * C);
  zero_to_overwrite(ctx, params_write, dweight, C);
  zero_to_overwrite(ctx, params_write, dbias, C);
  PLUMA_DISPATCH_CUDA(layernorm_backward, ctx, dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}

}  // namespace pluma
