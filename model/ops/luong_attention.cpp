// luong_attention: dispatch on the device (only the CPU backend so far).
#include "model/ops/luong_attention.h"

#include "model/core/check.h"
#include "model/ops/dispatch.h"
#include "model/ops/cpu/luong_attention.h"

namespace pluma {

void luong_attention_forward(const exec_context& ctx, float* context, float* probs, const float* query,
                             const float* keys, const float* values, const int* src_len, int S, int B, int H,
                             int D) {
  PLUMA_DISPATCH_CPU_ONLY(luong_attention_forward, ctx, context, probs, query, keys, values, src_len, S, B, H, D);
}

void luong_attention_backward(const exec_context& ctx, float* dquery, float* dkeys, float* dvalues,
                              const float* dcontext, const float* probs, const float* query, const float* keys,
                              const float* values, const int* src_len, int S, int B, int H, int D) {
  PLUMA_DISPATCH_CPU_ONLY(luong_attention_backward, ctx, dquery, dkeys, dvalues, dcontext, probs, query, keys, values, src_len, S,
                                B, H, D);
}

}  // namespace pluma
