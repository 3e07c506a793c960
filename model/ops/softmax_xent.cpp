// Dispatch of the softmax cross-entropy op to its backend.
#include "model/ops/softmax_xent.h"

#include "model/ops/dispatch.h"

namespace pluma {

void softmax_xent_forward(const exec_context& ctx, float* losses, float* probs, const float* logits,
                          const int* targets, int N, int V, float label_smoothing) {
  PLUMA_DISPATCH(softmax_xent_forward, ctx, losses, probs, logits, targets, N, V, label_smoothing);
}

void softmax_xent_backward(const exec_context& ctx, float* dlogits, const float* dlosses, const float* probs,
                           const int* targets, int N, int V, float label_smoothing) {
  PLUMA_DISPATCH(softmax_xent_backward, ctx, dlogits, dlosses, probs, targets, N, V, label_smoothing);
}

}  // namespace pluma
