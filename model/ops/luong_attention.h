// luong_attention: one decoder query per row attending over that row's padded source memory.
//   score[b, s] = keys[b, s, :] · query[b, :]          for s < src_len[b]; later positions are padding
//   probs[b, :] = softmax(score[b, :])                 (padding gets probability 0 exactly)
//   context[b, :] = sum_s probs[b, s] · values[b, s, :]
// With keys = values · W_aᵀ computed beforehand by a matmul this is Luong's "general" score
// h_tᵀ W_a h_s; with keys = values it is the "dot" score. Rows are independent (parallel over b).
#pragma once
#include "model/core/exec.h"

namespace pluma {

// context: (B, D); probs: (B, S) saved for backward; query: (B, H); keys: (B, S, H); values: (B, S, D);
// src_len: (B), each in [1, S]. The memory is batch-major so that the first R rows of a batch are a batch of R.
void luong_attention_forward(const exec_context& ctx, float* context, float* probs, const float* query,
                             const float* keys, const float* values, const int* src_len, int S, int B, int H,
                             int D);
// adds into dquery (B, H), dkeys (B, S, H), dvalues (B, S, D); dcontext: (B, D); the rest as in forward.
// Padding positions (s >= src_len[b]) receive no gradient.
void luong_attention_backward(const exec_context& ctx, float* dquery, float* dkeys, float* dvalues,
                              const float* dcontext, const float* probs, const float* query, const float* keys,
                              const float* values, const int* src_len, int S, int B, int H, int D);

}  // namespace pluma
