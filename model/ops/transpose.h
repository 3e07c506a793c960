// transpose: swap the two leading dimensions, batch-major <-> time-major, for the recurrent models (their
// per-step matmuls want each step's B rows contiguous).
#pragma once
#include "model/core/exec.h"

namespace pluma {

// out: (T, B, C); inp: (B, T, C). Called with (T, B) swapped it converts back.
void transpose_bt(const exec_context& ctx, float* out, const float* inp, int B, int T, int C);
// out: (T, B); inp: (B, T)
void transpose_bt_tokens(const exec_context& ctx, int* out, const int* inp, int B, int T);

}  // namespace pluma
