// mlp_gelu: the fused CPU kernels (cpu/mlp_gelu.h), or on other devices the unfused ops in sequence.
#include "model/ops/mlp_gelu.h"

#include "model/ops/cpu/mlp_gelu.h"
#include "model/ops/dispatch.h"
#include "model/ops/gelu.h"
#include "model/ops/matmul.h"
#include "model/ops/op_profile.h"
#include "model/ops/tensor_util.h"

namespace pluma {

void matmul_gelu_forward(const exec_context& ctx, float* saved, operand_out out, operand inp, operand weight,
                         const float* bias, int N, int C, int OC) {
  if (ctx.dev == device::cpu) {
    op_profile_scope prof("matmul_gelu_forward");
    return cpu::matmul_gelu_forward(ctx, saved, out, inp, weight, bias, N, C, OC);
  }
  matmul_forward(ctx, saved, inp, weight, bias, N, C, OC);   // saved: the pre-activation
  gelu_forward(ctx, fp32_only(out, "matmul_gelu_forward: a bf16 output off the CPU"), saved, long(N) * OC);
}

void gelu_matmul_backward(const exec_context& ctx, float* dpre, float* dweight, float* dbias, const float* dout,
                          const float* saved, operand gelu_out, operand weight, float* scratch, int N, int C, int OC,
                          grad_write dpre_write, grad_write params_write) {
  if (ctx.dev == device::cpu) {
    op_profile_scope prof("gelu_matmul_backward");
    return cpu::gelu_matmul_backward(ctx, dpre, dweight, dbias, dout, saved, gelu_out, weight, N, C, OC, dpre_write,
                                     params_write);
  }
  matmul_backward(ctx, scratch, dweight, dbias, dout, gelu_out, weight, N, C, OC, grad_write::overwrite,
                  params_write);
  zero_to_overwrite(ctx, dpre_write, dpre, long(N) * C);   // gelu_backward adds
  gelu_backward(ctx, dpre, saved, scratch, long(N) * C);
}

}  // namespace pluma
