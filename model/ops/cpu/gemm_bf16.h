// gemm with operands already in bfloat16: a caller that uses one operand in several products (matmul backward's
// dout, in both of its products) rounds it once.
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/ops/cpu/gemm.h"

namespace pluma::cpu {

// As gemm(d, A, B, bias, C); with d.bf16, A16 / B16 are the bf16 copies (cpu::to_bf16) of A / B over the same
// strided views, and where one is nullptr that operand is rounded from its fp32 data. Without d.bf16 they are
// not read.
void gemm(const gemm_desc& d, const float* A, const uint16_t* A16, const float* B, const uint16_t* B16,
          const float* bias, float* C);

// C [+]= (A · B) ⊙ mul, mul: (M, N) with C's strides (unbatched, no bias, alpha 1): the product scaled
// elementwise before it is added (a following elementwise gradient, fused). A16, B16 as in gemm above.
void gemm_mul(const gemm_desc& d, const float* A, const uint16_t* A16, const float* B, const uint16_t* B16,
              const float* mul, float* C);

}  // namespace pluma::cpu
