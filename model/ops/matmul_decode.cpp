// Dispatch of the bfloat16-weight decoding matmul (CPU only).
#include "model/ops/matmul_decode.h"

#include "model/ops/dispatch.h"
#include "model/ops/tensor_util.h"

namespace pluma {

void matmul_rows_bf16w(const exec_context& ctx, float* out, const float* inp, const uint16_t* weight16,
                       const float* bias, int N, int C, int OC) {
  PLUMA_DISPATCH_CPU_ONLY(matmul_rows_bf16w, ctx, out, inp, weight16, bias, N, C, OC);
}

void bf16_matrices::add(const float* m, size_t n) {
  at_.push_back(bits_.size());
  bits_.resize(bits_.size() + n);
  tensor_to_bf16(cpu_context(), bits_.data() + at_.back(), m, static_cast<long>(n));
}

}  // namespace pluma
