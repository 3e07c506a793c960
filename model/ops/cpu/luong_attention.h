// The CPU backend of model/ops/luong_attention.h (same signatures; the header dispatches here).
#pragma once
#include "model/core/exec.h"

namespace pluma::cpu {

void luong_attention_forward(const exec_context& ctx, float* context, float* probs, const float* query,
                             const float* keys, const float* values, const int* src_len, int S, int B, int H,
                             int D);
void luong_attention_backward(const exec_context& ctx, float* dquery, float* dkeys, float* dvalues,
                              const float* dcontext, const float* probs, const float* query, const float* keys,
                              const float* values, const int* src_len, int S, int B, int H, int D);

}  // namespace pluma::cpu
