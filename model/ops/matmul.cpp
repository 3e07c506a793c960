// Dispatch of the matmul op to its backend.
#include "model/ops/matmul.h"

#include "model/ops/dispatch.h"

namespace pluma {

void matmul_forward(const exec_context& ctx, float* out, const float* inp, const float* weight,
                    const float* bias, int N, int C, int OC) {
  PLUMA_DISPATCH(matmul_forward, ctx, out, inp, weight, bias, N, C, OC);
}

void matmul_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                     const float* dout, const float* inp, const float* weight, int N, int C, int OC) {
  PLUMA_DISPATCH(matmul_backward, ctx, dinp, dweight, dbias, dout, inp, weight, N, C, OC);
}

}  // namespace pluma
