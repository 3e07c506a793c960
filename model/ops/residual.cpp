// Dispatch of the residual op to its backend.
#include "model/ops/residual.h"

#include "model/ops/dispatch.h"

namespace pluma {

void residual_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N) {
  PLUMA_DISPATCH(residual_forward, ctx, out, a, b, N);
}

void residual_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N) {
  PLUMA_DISPATCH(residual_backward, ctx, da, db, dout, N);
}

}  // namespace pluma
