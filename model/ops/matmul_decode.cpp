// Dispatch of the bfloat16-weight decoding matmul (CPU only).
#include "model/ops/matmul_decode.h"

#include "model/ops/dispatch.h"

namespace pluma {

void matmul_rows_bf16w(const exec_context& ctx, float* out, const float* inp, const uint16_t* weight16,
                       const float* bias, int N, int C, int OC) {
  PLUMA_DISPATCH_CPU_ONLY(matmul_rows_bf16w, ctx, out, inp, weight16, bias, N, C, OC);
}

}  // namespace pluma
