// Dispatch of the transpose ops to their backend (CPU only so far).
#include "model/ops/transpose.h"

#include "model/core/check.h"
#include "model/ops/dispatch.h"
#include "model/ops/cpu/transpose.h"

namespace pluma {

void transpose_bt(const exec_context& ctx, float* out, const float* inp, int B, int T, int C) {
  PLUMA_DISPATCH_CPU_ONLY(transpose_bt, ctx, out, inp, B, T, C);
}

void transpose_bt_tokens(const exec_context& ctx, int* out, const int* inp, int B, int T) {
  PLUMA_DISPATCH_CPU_ONLY(transpose_bt_tokens, ctx, out, inp, B, T);
}

}  // namespace pluma
