// Dispatch of the AdamW update to its backend.
#include "model/ops/adamw.h"

#include "model/ops/dispatch.h"

namespace pluma {

void adamw_update(const exec_context& ctx, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale) {
  PLUMA_DISPATCH(adamw_update, ctx, params, grads, m, v, n, hp, grad_scale);
}

}  // namespace pluma
