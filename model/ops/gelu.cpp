// Dispatch of the gelu op to its backend.
#include "model/ops/gelu.h"

#include "model/ops/dispatch.h"

namespace pluma {

void gelu_forward(const exec_context& ctx, float* out, const float* inp, long N) {
  PLUMA_DISPATCH(gelu_forward, ctx, out, inp, N);
}

void gelu_backward(const exec_context& ctx, float* dinp, const float* inp, const float* dout, long N) {
  PLUMA_DISPATCH(gelu_backward, ctx, dinp, inp, dout, N);
}

}  // namespace pluma
