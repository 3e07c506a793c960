// attention: causal multi-head self-attention over a fused qkv projection; scale 1/sqrt(C/NH).
#pragma once
#include "model/core/exec.h"
#include "model/ops/grad_write.h"
#include "model/ops/operand.h"

namespace pluma {

// out: (B, T, C), fp32 or (CPU only) rounded to bf16 (operand.h); att: (B, NH, T, T) softmax probabilities
// saved for backward (row t holds 0 past t), or nullptr when no backward follows (inference);
// qkv: (B, T, 3*C) laid out as [q | k | v], head h using columns h*HS..(h+1)*HS-1 of each, HS = C/NH
void attention_forward(const exec_context& ctx, operand_out out, float* att, const float* qkv, int B, int T,
                       int C, int NH);
// dqkv (B, T, 3*C) as dqkv_write says (grad_write.h)
void attention_backward(const exec_context& ctx, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH, grad_write dqkv_write = grad_write::add);

// One decoding step with a KV cache. q: (B, C) of the new position; kcache, vcache: (B, NH, maxT, HS)
// already holding positions 0..len-1 (the new token's k and v included, at len-1); out: (B, C).
void attention_decode(const exec_context& ctx, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH);

}  // namespace pluma
