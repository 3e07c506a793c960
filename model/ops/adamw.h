// adamw: one decoupled-weight-decay Adam step over a block of parameters (PyTorch's AdamW semantics).
#pragma once
#include <cstddef>
#include <vector>

#include "model/core/exec.h"

namespace pluma {

struct adamw_params {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;   // applied as param -= lr * weight_decay * param (0 for biases / norms)
  float l2 = 0.0f;             // classic Adam's weight decay: the gradient is grad * grad_scale + l2 * param
  int step = 1;                // 1-based, for bias correction
};

// params, grads, m, v: (n); grads are multiplied by grad_scale first (e.g. clipping), then get l2 * param
void adamw_update(const exec_context& ctx, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale = 1.0f);

// A block of an arena's parameters under one set of hyper-parameters.
struct adamw_span {
  size_t offset = 0, n = 0;
  bool decay = false;   // takes the decaying hyper-parameters
};
// adamw_update over every span of one arena (params, grads, m, v from offset 0), a span with decay under
// hp_decay and the others under hp; the same bits as one call per span. On the CPU the spans share one split
// over the threads (one parallel region for a whole model, where a call per span starts one each); on a GPU,
// a call per span.
void adamw_update_spans(const exec_context& ctx, float* params, const float* grads, float* m, float* v,
                        const std::vector<adamw_span>& spans, const adamw_params& hp, const adamw_params& hp_decay,
                        float grad_scale = 1.0f);

}  // namespace pluma
