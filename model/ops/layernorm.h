// layernorm over the last dimension (eps 1e-5).
#pragma once
#include "model/core/exec.h"
#include "model/ops/grad_write.h"
#include "model/ops/operand.h"

namespace pluma {

// out: (N, C), fp32 or (CPU only) rounded to bf16 (operand.h); mean, rstd: (N), saved for backward; inp: (N, C);
// weight, bias: (C) (bias may be nullptr)
void layernorm_forward(const exec_context& ctx, operand_out out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int N, int C);
// dinp (N, C) as dinp_write says, dweight (C) and dbias (C) (skipped when nullptr) as params_write says
// (grad_write.h)
void layernorm_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                        const float* dout, const float* inp, const float* weight, const float* mean,
                        const float* rstd, int N, int C, grad_write dinp_write = grad_write::add,
                        grad_write params_write = grad_write::add);

}  // namespace pluma
