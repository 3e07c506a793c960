// Dispatch of the attention ops to their backend.
#include "model/ops/attention.h"

#include "model/ops/dispatch.h"
#include "model/ops/tensor_util.h"

namespace pluma {

void attention_forward(const exec_context& ctx, operand_out out, float* att, const float* qkv, int B, int T,
                       int C, int NH) {
  op_profile_scope prof("attention_forward");
  if (ctx.dev == device::cpu) return cpu::attention_forward(ctx, out, att, qkv, B, T, C, NH);
  PLUMA_DISPATCH_CUDA(attention_forward, ctx, fp32_only(out, "attention_forward: a bf16 output on CUDA"), att, qkv,
                      B, T, C, NH);
}

void attention_backward(const exec_context& ctx, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH, grad_write dqkv_write) {
  if (ctx.dev == device::cpu) {   // each head zeroes its own slices when overwriting
    op_profile_scope prof("attention_backward");
    return cpu::attention_backward(ctx, dqkv, dout, qkv, att, B, T, C, NH, dqkv_write);
  }
  // the CUDA kernels add: overwriting is adding into zeros
  zero_to_overwrite(ctx, dqkv_write, dqkv, long(B) * T * 3 * C);
  op_profile_scope prof("attention_backward");
  PLUMA_DISPATCH_CUDA(attention_backward, ctx, dqkv, dout, qkv, att, B, T, C, NH);
}

void attention_decode(const exec_context& ctx, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH) {
  PLUMA_DISPATCH(attention_decode, ctx, out, q, kcache, vcache, B, len, maxT, C, NH);
}

}  // namespace pluma
