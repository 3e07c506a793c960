// What the CPU matmul shares with the fused ops built on its products (cpu/mlp_gelu.cpp): the GEMM descs of
// a Linear layer's backward, and the bf16 copy of an operand used by more than one product.
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/ops/cpu/gemm.h"
#include "model/ops/grad_write.h"
#include "model/ops/operand.h"

namespace pluma::cpu {

// The two products of matmul_backward (shapes as model/ops/matmul.h), bf16 as matmul_bf16(), each writing or
// accumulating as its grad_write says: dinp (N, C) (+)= dout (N, OC) · weight (OC, C);
// dweight (OC, C) (+)= doutᵀ (OC, N) · inp (N, C).
struct matmul_backward_descs {
  gemm_desc dinp, dweight;
};
matmul_backward_descs matmul_backward_gemms(int N, int C, int OC, grad_write dinp_write, grad_write params_write);
// A Linear layer's backward over no rows: its parameter gradients' sums are empty, so overwriting them writes
// zeros (adding leaves them).
void matmul_backward_no_rows(float* dweight, float* dbias, int C, int OC, grad_write params_write);

// Rows [r0, r1) of matmul_forward's product (shapes as model/ops/matmul.h): out rows (+ bias) from inp rows.
void matmul_rows_gemm(float* out, operand inp, operand weight, const float* bias, int64_t r0, int64_t r1, int C,
                      int OC);

// The bf16 copy of x: (n), in a buffer of the calling thread, valid until its next call.
const uint16_t* bf16_copy(const float* x, size_t n);

}  // namespace pluma::cpu
