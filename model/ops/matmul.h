// matmul: out = inp · weightᵀ + bias (a Linear layer). oneDNN on the CPU.
#pragma once
#include "model/core/exec.h"
#include "model/ops/grad_write.h"
#include "model/ops/operand.h"

namespace pluma {

// out: (N, OC); inp: (N, C); weight: (OC, C); bias: (OC) or nullptr. inp and weight may be bf16 copies
// (operand.h) under bf16 products on the CPU.
void matmul_forward(const exec_context& ctx, float* out, operand inp, operand weight, const float* bias, int N,
                    int C, int OC);
// dinp (N, C) (skipped when nullptr) as dinp_write says; dweight (OC, C) and dbias (OC) (skipped when nullptr)
// as params_write says (grad_write.h). inp and weight as in matmul_forward.
void matmul_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                     operand inp, operand weight, int N, int C, int OC, grad_write dinp_write = grad_write::add,
                     grad_write params_write = grad_write::add);

// The precision of matmul products for the whole process, on both backends: fp32 (the default), or bf16:
// operands rounded to bfloat16, products accumulated in fp32; parameters, gradients, optimizer moments and every
// other op's arithmetic stay fp32 (mixed precision with fp32 master weights). Attention's internal products stay
// fp32 on the CPU. On the CPU a model may keep the bf16 copies its products read (operand.h): then an output that
// only feeds products (a GPT's LayerNorm, attention and GELU outputs) is stored in bf16, and the products of
// those copies take bf16 operands at any row count (the few-rows kernel of fp32 operands is fp32).
void matmul_set_bf16(bool on);
bool matmul_bf16();

}  // namespace pluma
