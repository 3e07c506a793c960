// Dispatch of the AdamW update to its backend.
#include "model/ops/adamw.h"

#include "model/ops/dispatch.h"

namespace pluma {

void adamw_update(const exec_context& ctx, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale) {
  PLUMA_DISPATCH(adamw_update, ctx, params, grads, m, v, n, hp, grad_scale);
}

void adamw_update_spans(const exec_context& ctx, float* params, const float* grads, float* m, float* v,
                        const std::vector<adamw_span>& spans, const adamw_params& hp, const adamw_params& hp_decay,
                        float grad_scale) {
  if (ctx.dev != device::cpu) {
    for (const adamw_span& s : spans)
      adamw_update(ctx, params + s.offset, grads + s.offset, m + s.offset, v + s.offset, s.n,
                   s.decay ? hp_decay : hp, grad_scale);
    return;
  }
  PLUMA_DISPATCH_CPU_ONLY(adamw_update_spans, ctx, params, grads, m, v, spans, hp, hp_decay, grad_scale);
}

}  // namespace pluma
