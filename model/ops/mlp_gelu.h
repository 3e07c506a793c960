// mlp_gelu: the GELU of a transformer MLP fused with the products around it,
//   out = gelu(inp · weightᵀ + bias)          (forward: the fc product, then GELU)
//   backward of y = gelu_out · weightᵀ + bias  (the projection's backward, then GELU's, into d pre-activation)
// The CPU keeps GELU's derivative from forward, so backward needs no GELU pass (the projection's input
// gradient is multiplied by it inside the product). Elsewhere the unfused ops run one after the other.
#pragma once
#include "model/core/exec.h"
#include "model/ops/grad_write.h"
#include "model/ops/operand.h"

namespace pluma {

// out: (N, OC) = gelu(inp (N, C) · weight (OC, C)ᵀ + bias (OC, or nullptr)); saved: (N, OC), what
// gelu_matmul_backward needs (backend-specific: gelu'(pre) on the CPU, pre elsewhere)
// inp and weight may be bf16 copies, and out written in bf16, under bf16 products on the CPU (operand.h).
void matmul_gelu_forward(const exec_context& ctx, float* saved, operand_out out, operand inp, operand weight,
                         const float* bias, int N, int C, int OC);

// Backward of y = gelu_out · weightᵀ + bias with gelu_out = gelu(pre) (from matmul_gelu_forward, whose saved
// is given): with dout (N, OC), d pre into dpre (N, C) as dpre_write says (grad_write.h), dweight (OC, C) and
// dbias (OC, skipped when nullptr) as params_write says. scratch: (N, C) floats the unfused path may use
// (overwritten). gelu_out and weight may be bf16 copies as in matmul_gelu_forward.
void gelu_matmul_backward(const exec_context& ctx, float* dpre, float* dweight, float* dbias, const float* dout,
                          const float* saved, operand gelu_out, operand weight, float* scratch, int N, int C, int OC,
                          grad_write dpre_write = grad_write::add, grad_write params_write = grad_write::add);

}  // namespace pluma
