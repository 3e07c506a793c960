// matmul for decoding with bfloat16 weights: out = inp · weightᵀ + bias for a handful of rows (one position per
// sequence), the weight stored once in bfloat16 (tensor_to_bf16's bits) so a step streams half the bytes. The
// input rows are rounded to bfloat16 too; products are summed in fp32. CPU only (--precision bf16 decoding).
#pragma once
#include <cstdint>

#include "model/core/exec.h"

namespace pluma {

// out: (N, OC); inp: (N, C); weight16: (OC, C) bfloat16 bits; bias: (OC) or nullptr. Meant for small N (a
// batch of sequences at one position each): the weights are streamed once per input row.
void matmul_rows_bf16w(const exec_context& ctx, float* out, const float* inp, const uint16_t* weight16,
                       const float* bias, int N, int C, int OC);

}  // namespace pluma
