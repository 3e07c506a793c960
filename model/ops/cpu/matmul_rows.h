// matmul for a handful of input rows (decoding: one position per sequence): out = inp · weightᵀ + bias read
// straight from the weight rows, which the call streams once (the cost is the weight bytes). oneDNN's GEMM
// at M = 1 packs and blocks for nothing; this is a dot product per output, 8 outputs at a time.
#pragma once
#include <cstdint>

namespace pluma::cpu {

// Input rows up to this count take matmul_rows; more take the GEMM.
constexpr int matmul_rows_max = 4;

// out[k] = dot(x, w[k]) for k < rows <= 8: x: (C); w: (rows, C) with row stride ldw. Eight independent FMA
// chains, one reduction tree for the eight sums. Serial (callers parallelize over blocks of rows).
void dot_rows8(float* out, const float* x, const float* w, long ldw, int C, int rows);
// The same with x and w in bfloat16 (the bits of cpu::to_bf16) and fp32 sums: a call streams half the weight
// bytes. x16 must hold round_up(C, 32) values, zero past C. With AVX512-BF16 (vdpbf16ps) 32 products per
// instruction; elsewhere both are widened to fp32 (the same products, summed in another order).
void dot_rows8_bf16(float* out, const uint16_t* x16, const uint16_t* w, long ldw, int C, int rows);
inline int bf16_padded(int C) { return (C + 31) / 32 * 32; }

// out: (N, OC) = inp: (N, C) · weightᵀ (weight: (OC, C)) + bias (OC, or nullptr), for N <= matmul_rows_max
void matmul_rows(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int OC);

}  // namespace pluma::cpu
