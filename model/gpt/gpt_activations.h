// gpt_activations: the buffers of one GPT forward/backward at (B, T), carved from one arena.
// Per-layer buffers are stacked with a leading L dimension; layer l starts at l * (its per-layer size).
#pragma once
#include <cstddef>

#include "model/gpt/gpt_config.h"
#include "model/ops/operand.h"

namespace pluma {

struct gpt_activations {
  int B = 0, T = 0;
  bool training = false;   // dropout masks and outputs present (config.dropout > 0)
  // The activations that only feed products (ln1, atty, ln2, fch_gelu, lnf) are kept as bf16 copies alone
  // (model/ops/operand.h): under bf16 products on the CPU, where the products would round them anyway.
  bool bf16_copies = false;
  float* encoded;        // (B, T, C) token + position embedding
  float* encoded_mask;   // (B, T, C) dropout mask (training only)
  float* encoded_drop;   // (B, T, C) (training only)
  operand_out ln1;       // (L, B, T, C)
  float* ln1_mean;       // (L, B, T)
  float* ln1_rstd;       // (L, B, T)
  float* qkv;            // (L, B, T, 3*C)
  operand_out atty;      // (L, B, T, C) attention output before the projection
  float* att;            // (L, B, NH, T, T) attention probabilities
  float* attproj;        // (L, B, T, C)
  float* attproj_mask;   // (L, B, T, C) (training only)
  float* attproj_drop;   // (L, B, T, C) (training only)
  float* res2;           // (L, B, T, C) x + attention branch
  operand_out ln2;       // (L, B, T, C)
  float* ln2_mean;       // (L, B, T)
  float* ln2_rstd;       // (L, B, T)
  float* fch;            // (L, B, T, 4*C) mlp_gelu's saved state (the fc output, or GELU's derivative at it)
  operand_out fch_gelu;  // (L, B, T, 4*C)
  float* fcproj;         // (L, B, T, C)
  float* fcproj_mask;    // (L, B, T, C) (training only)
  float* fcproj_drop;    // (L, B, T, C) (training only)
  float* res3;           // (L, B, T, C) block output
  operand_out lnf;       // (B, T, C)
  float* lnf_mean;       // (B, T)
  float* lnf_rstd;       // (B, T)
  float* logits;         // (B, T, V)
  float* probs;          // (B, T, V)
  float* losses;         // (B, T)
};

// Gradients of the activations during backward: scratch reused across layers (zeroed before each use).
struct gpt_grad_scratch {
  float* dresidual;   // (B, T, C) gradient of the residual stream
  float* dln;         // (B, T, C) gradient of a LayerNorm output
  float* ddrop;       // (B, T, C) gradient of a dropout input
  float* datty;       // (B, T, C)
  float* dqkv;        // (B, T, 3*C)
  float* dfch;        // (B, T, 4*C)
  float* dfch_gelu;   // (B, T, 4*C) (scratch of the unfused mlp_gelu backward)
  float* dlogits;     // (B, T, V)
  float* dlosses;     // (B, T)
};

// The buffers of incremental decoding for B sequences: the KV cache and one position's activations.
struct gpt_decode_buffers {
  float* kcache;     // (L, B, NH, context, HS) keys of every position so far
  float* vcache;     // (L, B, NH, context, HS) values
  float* x;          // (B, C) residual stream (block input and output)
  float* res;        // (B, C) residual stream after the attention branch
  float* ln;         // (B, C) LayerNorm output
  float* ln_mean;    // (B)
  float* ln_rstd;    // (B)
  float* qkv;        // (B, 3*C)
  float* q;          // (B, C)
  float* atty;       // (B, C)
  float* proj;       // (B, C) output of a branch's projection
  float* fch;        // (B, 4*C)
  float* fch_gelu;   // (B, 4*C)
};

// Points a's buffers into base (nullptr: only count) and returns the floats they need; bf16_copies as in
// gpt_activations.
size_t gpt_activations_layout(gpt_activations& a, float* base, const gpt_config& c, int B, int T,
                              bool training, bool bf16_copies);
size_t gpt_grad_scratch_layout(gpt_grad_scratch& g, float* base, const gpt_config& c, int B, int T);
size_t gpt_decode_buffers_layout(gpt_decode_buffers& d, float* base, const gpt_config& c, int B);

}  // namespace pluma
