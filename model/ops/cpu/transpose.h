// CPU entry points of the transpose ops (same signatures as model/ops/transpose.h).
#pragma once
#include "model/core/exec.h"

namespace pluma::cpu {

void transpose_bt(const exec_context& ctx, float* out, const float* inp, int B, int T, int C);
void transpose_bt_tokens(const exec_context& ctx, int* out, const int* inp, int B, int T);

}  // namespace pluma::cpu
