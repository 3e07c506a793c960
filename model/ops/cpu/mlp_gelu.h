// The CPU's fused MLP GELU (model/ops/mlp_gelu.h): saved holds gelu'(pre), which backward multiplies into the
// projection's input gradient inside the oneDNN product (a binary post-op), so no GELU pass runs in backward.
#pragma once
#include "model/core/exec.h"
#include "model/ops/grad_write.h"
#include "model/ops/operand.h"

namespace pluma::cpu {

void matmul_gelu_forward(const exec_context& ctx, float* saved, operand_out out, operand inp, operand weight,
                         const float* bias, int N, int C, int OC);
void gelu_matmul_backward(const exec_context& ctx, float* dpre, float* dweight, float* dbias, const float* dout,
                          const float* saved, operand gelu_out, operand weight, int N, int C, int OC,
                          grad_write dpre_write, grad_write params_write);

}  // namespace pluma::cpu
