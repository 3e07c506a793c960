// softmax cross-entropy over logits, with optional label smoothing; targets < 0 are ignored (loss 0, no gradient).
#pragma once
#include "model/core/exec.h"

namespace pluma {

// losses: (N) per-position loss; probs: (N, V) softmax saved for backward; logits: (N, V); targets: (N)
void softmax_xent_forward(const exec_context& ctx, float* losses, float* probs, const float* logits,
                          const int* targets, int N, int V, float label_smoothing = 0.0f);
// adds into dlogits (N, V): dlosses[i] * d loss_i / d logits_i. dlosses: (N) (e.g. 1/count for a mean)
void softmax_xent_backward(const exec_context& ctx, float* dlogits, const float* dlosses, const float* probs,
                           const int* targets, int N, int V, float label_smoothing = 0.0f);

}  // namespace pluma
