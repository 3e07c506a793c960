// gemm with operands already in bfloat16: callers that use one operand in several products (matmul backward's
// dout, a weight in forward and backward) round it once.
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/ops/cpu/gemm.h"

namespace pluma::cpu {

// As gemm() with d.bf16: A16 / B16 are the bf16 copies (cpu::to_bf16) of A / B over the same strided views;
// where one is nullptr, that operand is rounded from its fp32 data as gemm() does.
void gemm_bf16(const gemm_desc& d, const float* A, const uint16_t* A16, const float* B, const uint16_t* B16,
               const float* bias, float* C);

// C [+]= (A · B) ⊙ mul, mul: (M, N) with C's strides (unbatched, no bias, alpha 1): the product scaled
// elementwise before it is added (a following elementwise gradient, fused). A16 as in gemm_bf16 (used only with
// d.bf16; may be nullptr).
void gemm_mul(const gemm_desc& d, const float* A, const uint16_t* A16, const float* B, const float* mul, float* C);

// Elements a (rows, cols) view with strides s (unbatched) spans: the size of its bf16 copy.
size_t bf16_view_extent(int64_t rows, int64_t cols, const int64_t s[4]);

}  // namespace pluma::cpu
