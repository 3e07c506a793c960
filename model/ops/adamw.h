// adamw: one decoupled-weight-decay Adam step over a block of parameters (PyTorch's AdamW semantics).
#pragma once
#include <cstddef>

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

}  // namespace pluma
