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

// out: (N, OC) = inp: (N, C) · weightᵀ (weight: (OC, C)) + bias (OC, or nullptr), for N <= matmul_rows_max
void matmul_rows(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int OC);

}  // namespace pluma::cpu
