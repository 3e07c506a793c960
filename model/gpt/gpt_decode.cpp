// GPT incremental decoding with a KV cache: each step runs one new position through every block, attending
// over the cached keys and values of all earlier positions.
#include "model/core/check.h"
#include "model/gpt/gpt.h"
#include "model/ops/attention.h"
#include "model/ops/embedding.h"
#include "model/ops/gelu.h"
#include "model/ops/kv_cache.h"
#include "model/ops/layernorm.h"
#include "model/ops/matmul.h"
#include "model/ops/matmul_decode.h"
#include "model/ops/residual.h"
#include "model/ops/tensor_util.h"

namespace pluma {

namespace {

struct gpt_decode_state final : decode_state {
  arena memory;
  device_arena dmemory;   // the same buffers on the GPU (a model there)
  device_buffer dio;      // on the GPU: (B) tokens, then (B, V) logits
  gpt_decode_buffers buf;
  // With matmul_bf16() on the CPU: the matrices a step reads (each block's qkv, attention projection, fc and
  // fc projection, then the tied head wte) in bfloat16, made at decode_begin; a step streams half the bytes.
  bf16_matrices w16;
};

}  // namespace

std::unique_ptr<decode_state> gpt_model::decode_begin(int B) {
  PLUMA_CHECK(B > 0, "gpt decode_begin: B must be positive");
  params();
  auto st = std::make_unique<gpt_decode_state>();
  st->batch = B;
  st->position = 0;
  const size_t n = gpt_decode_buffers_layout(st->buf, nullptr, cfg_, B);
  if (on_gpu()) {
    const status a = st->dmemory.resize(n), b = st->dio.allocate(sizeof(float) * B * (1 + cfg_.vocab_size));
    PLUMA_CHECK(a.is_ok() && b.is_ok(), "gpt decode_begin: out of GPU memory for the KV cache");
    gpt_decode_buffers_layout(st->buf, st->dmemory.data(), cfg_, B);
  } else {
    st->memory.resize(n);
    gpt_decode_buffers_layout(st->buf, st->memory.data(), cfg_, B);
    if (matmul_bf16()) {
      for (const block_index& w : blocks_)
        for (int i : {w.qkvw, w.attprojw, w.fcw, w.fcprojw}) st->w16.add(param(i), specs_[i].numel());
      st->w16.add(param(wte_), specs_[wte_].numel());
    }
  }
  return st;
}

void gpt_model::decode_rewind(decode_state& state) {
  PLUMA_CHECK(dynamic_cast<gpt_decode_state*>(&state) != nullptr,
              "gpt decode_rewind: the state was not made by this model's decode_begin");
  state.position = 0;
}

// tokens: (B) at position state.position; logits: (B, V)
void gpt_model::decode_step(decode_state& state, const int* tokens, float* logits) {
  auto* st = dynamic_cast<gpt_decode_state*>(&state);
  PLUMA_CHECK(st != nullptr, "gpt decode_step: the state was not made by this model's decode_begin");
  PLUMA_CHECK(st->position < cfg_.context, "gpt decode_step: the KV cache is full (slide the window)");
  const exec_context& ctx = ctx_;
  const int L = cfg_.layers, C = cfg_.embd, NH = cfg_.heads, V = cfg_.vocab_size, maxT = cfg_.context;
  const int B = st->batch, pos = st->position;
  const gpt_decode_buffers& d = st->buf;
  const long layer_cache = long(B) * maxT * C;   // floats of one layer's K (or V) cache
  float* host_logits = logits;
  if (on_gpu()) {   // tokens in, logits out through device copies
    device_copy_to(ctx, st->dio.data(), tokens, sizeof(int) * B);
    tokens = st->dio.as<int>();
    logits = st->dio.as<float>() + B;
  }

  // out (B, OC) = inp (B, IC) · (matrix `param_index`, the k-th of w16)ᵀ + bias
  const bool bf16w = !st->w16.empty();
  auto linear = [&](float* out, const float* inp, int param_index, int k, const float* bias, int IC, int OC) {
    if (bf16w)
      matmul_rows_bf16w(ctx, out, inp, st->w16[k], bias, B, IC, OC);
    else
      matmul_forward(ctx, out, inp, param(param_index), bias, B, IC, OC);
  };
  embedding_forward(ctx, d.x, tokens, param(wte_), param(wpe_) + long(pos) * C, B, 1, C);
  for (int l = 0; l < L; l++) {
    const block_index& w = blocks_[l];
    float* kcache = d.kcache + l * layer_cache;   // (B, NH, maxT, HS)
    float* vcache = d.vcache + l * layer_cache;   // (B, NH, maxT, HS)
    layernorm_forward(ctx, d.ln, d.ln_mean, d.ln_rstd, d.x, param(w.ln1w), param(w.ln1b), B, C);
    linear(d.qkv, d.ln, w.qkvw, 4 * l, param(w.qkvb), C, 3 * C);
    kv_cache_write(ctx, d.q, kcache, vcache, d.qkv, B, pos, maxT, C, NH);
    attention_decode(ctx, d.atty, d.q, kcache, vcache, B, pos + 1, maxT, C, NH);
    linear(d.proj, d.atty, w.attprojw, 4 * l + 1, param(w.attprojb), C, C);
    residual_forward(ctx, d.res, d.x, d.proj, long(B) * C);

    layernorm_forward(ctx, d.ln, d.ln_mean, d.ln_rstd, d.res, param(w.ln2w), param(w.ln2b), B, C);
    linear(d.fch, d.ln, w.fcw, 4 * l + 2, param(w.fcb), C, 4 * C);
    gelu_forward(ctx, d.fch_gelu, d.fch, long(B) * 4 * C);
    linear(d.proj, d.fch_gelu, w.fcprojw, 4 * l + 3, param(w.fcprojb), 4 * C, C);
    residual_forward(ctx, d.x, d.res, d.proj, long(B) * C);
  }
  layernorm_forward(ctx, d.ln, d.ln_mean, d.ln_rstd, d.x, param(lnfw_), param(lnfb_), B, C);
  linear(logits, d.ln, wte_, 4 * L, nullptr, C, V);   // the LM head, tied to wte
  if (on_gpu()) device_copy_from(ctx, host_logits, logits, sizeof(float) * B * V);
  st->position++;
}

// tokens: (B, T) for positions 0..T-1 (host); logits: (B, V) of position T-1 (host). On the GPU the tokens go
// through tokens_for_ops, every op runs on the model's stream and only the last position's logits come back.
void gpt_model::decode_prefill(decode_state& state, const int* tokens, int T, float* logits) {
  auto* st = dynamic_cast<gpt_decode_state*>(&state);
  PLUMA_CHECK(st != nullptr, "gpt decode_prefill: the state was not made by this model's decode_begin");
  if (st->position != 0 || T < 2 || T > cfg_.context) return lm_model::decode_prefill(state, tokens, T, logits);
  const exec_context& ctx = ctx_;
  const int L = cfg_.layers, C = cfg_.embd, NH = cfg_.heads, V = cfg_.vocab_size, maxT = cfg_.context;
  const int B = st->batch;
  const gpt_decode_buffers& d = st->buf;
  const long layer_cache = long(B) * maxT * C;   // floats of one layer's K (or V) cache

  params();
  ensure_activations(B, T, /*training=*/false);
  const int *in, *no_targets;
  tokens_for_ops(tokens, nullptr, long(B) * T, &in, &no_targets);
  forward(in, nullptr, B, T, nullptr, nullptr);   // qkv of every layer and the logits, in acts_
  for (int l = 0; l < L; l++) {
    const float* qkv = acts_.qkv + long(l) * B * T * 3 * C;   // (B, T, 3*C)
    kv_cache_prefill(ctx, d.kcache + l * layer_cache, d.vcache + l * layer_cache, qkv, B, T, maxT, C, NH);
  }
  for (int b = 0; b < B; b++) {
    const float* last = acts_.logits + (long(b) * T + T - 1) * V;   // (V) of position T-1
    if (on_gpu())
      device_copy_from(ctx, logits + long(b) * V, last, sizeof(float) * V);
    else
      tensor_copy(ctx, logits + long(b) * V, last, V);
  }
  st->position = T;
}

}  // namespace pluma
