// Dispatch of the dropout op to its backend.
#include "model/ops/dropout.h"

#include "model/ops/dispatch.h"

namespace pluma {

void dropout_forward(const exec_context& ctx, float* out, float* mask, const float* inp, long N, float p,
                     rng& gen) {
  PLUMA_DISPATCH(dropout_forward, ctx, out, mask, inp, N, p, gen);
}

void dropout_backward(const exec_context& ctx, float* dinp, const float* dout, const float* mask, long N) {
  PLUMA_DISPATCH(dropout_backward, ctx, dinp, dout, mask, N);
}

}  // namespace pluma
