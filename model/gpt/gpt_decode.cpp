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
  // On the CPU: the matrices a step reads (each block's qkv, attention projection, fc and fc projection, then
  // the tied head wte) packed for decoding at decode_begin, in bfloat16 with matmul_bf16() (a step streams half
  // the bytes); the state's own, or the model's shared ones (share_decoding_weights). None on the GPU.
  std::shared_ptr<const decode_matrices> packed;
  bool has_packed() const { return packed && packed->size() > 0; }
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
    st->packed = packed_.get(matmul_bf16(), [&] {
      std::vector<decode_matrices::source> mats;
      auto add = [&](int i) {
        mats.push_back({param(i), int(specs_[i].shape[0]), int(specs_[i].numel() / specs_[i].shape[0])});
      };
      for (const block_index& w : blocks_)
        for (int i : {w.qkvw, w.attprojw, w.fcw, w.fcprojw}) add(i);
      add(wte_);
      return std::make_shared<const decode_matrices>(mats, matmul_bf16());
    });
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
  const int B = st->batch, C = cfg_.embd;
  float* host_logits = logits;
  if (on_gpu()) {   // tokens in, logits out through device copies
    device_copy_to(ctx, st->dio.data(), tokens, sizeof(int) * B);
    tokens = st->dio.as<int>();
    logits = st->dio.as<float>() + B;
  }
  embedding_forward(ctx, st->buf.x, tokens, param(wte_), param(wpe_) + long(st->position) * C, B, 1, C);
  decode_blocks(*st, 0, false, logits);
  if (on_gpu()) device_copy_from(ctx, host_logits, logits, sizeof(float) * B * cfg_.vocab_size);
  st->position++;
}

void gpt_model::decode_blocks(decode_state& state, int l0, bool qkv_done, float* logits) {
  auto* st = static_cast<gpt_decode_state*>(&state);   // the callers have checked it
  const exec_context& ctx = ctx_;
  const int L = cfg_.layers, C = cfg_.embd, NH = cfg_.heads, V = cfg_.vocab_size, maxT = cfg_.context;
  const int B = st->batch, pos = st->position;
  const gpt_decode_buffers& d = st->buf;
  const long layer_cache = long(B) * maxT * C;   // floats of one layer's K (or V) cache

  // out (B, OC) = inp (B, IC) · (matrix `param_index`, the k-th packed one on the CPU)ᵀ + bias
  const bool packed = st->has_packed();
  auto linear = [&](float* out, const float* inp, int param_index, int k, const float* bias, int IC, int OC) {
    if (packed)
      matmul_decode(ctx, out, inp, (*st->packed)[k], bias, B);
    else
      matmul_forward(ctx, out, inp, param(param_index), bias, B, IC, OC);
  };
  for (int l = l0; l < L; l++) {
    const block_index& w = blocks_[l];
    float* kcache = d.kcache + l * layer_cache;   // (B, NH, maxT, HS)
    float* vcache = d.vcache + l * layer_cache;   // (B, NH, maxT, HS)
    if (l > l0 || !qkv_done) {
      layernorm_forward(ctx, d.ln, d.ln_mean, d.ln_rstd, d.x, param(w.ln1w), param(w.ln1b), B, C);
      linear(d.qkv, d.ln, w.qkvw, 4 * l, param(w.qkvb), C, 3 * C);
      kv_cache_write(ctx, d.q, kcache, vcache, d.qkv, B, pos, maxT, C, NH);
    }
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
}

// tokens: (B, T) for positions 0..T-1 (host); logits: (B, V) of position T-1 (host). On the GPU the tokens go
// through tokens_for_ops, every op runs on the model's stream and only the last position's logits come back.
void gpt_model::decode_prefill(decode_state& state, const int* tokens, int T, float* logits) {
  auto* st = dynamic_cast<gpt_decode_state*>(&state);
  PLUMA_CHECK(st != nullptr, "gpt decode_prefill: the state was not made by this model's decode_begin");
  if (st->position != 0 || T < 2 || T > cfg_.context) return lm_model::decode_prefill(state, tokens, T, logits);
  if (st->has_packed()) return prefill_packed(state, tokens, T, logits);
  const exec_context& ctx = ctx_;
  const int L = cfg_.layers, C = cfg_.embd, NH = cfg_.heads, V = cfg_.vocab_size, maxT = cfg_.context;
  const int B = st->batch;
  const gpt_decode_buffers& d = st->buf;
  const long layer_cache = long(B) * maxT * C;   // floats of one layer's K (or V) cache

  params();
  ensure_activations(B, T, /*training=*/false, keeps_bf16_copies());
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

// The CPU's prefill: the decoding matmuls over all B*T rows (blocks of rows share each weight load), the
// causal attention of the training forward, and for the last block only the keys and values of all
// positions: the rest of it, and the head, for the last position of each sequence (decode_blocks).
void gpt_model::prefill_packed(decode_state& state, const int* tokens, int T, float* logits) {
  auto* st = static_cast<gpt_decode_state*>(&state);
  const exec_context& ctx = ctx_;
  const int L = cfg_.layers, C = cfg_.embd, NH = cfg_.heads, maxT = cfg_.context;
  const int B = st->batch, BT = B * T;
  const gpt_decode_buffers& d = st->buf;
  const long layer_cache = long(B) * maxT * C;   // floats of one layer's K (or V) cache
  for (int i = 0; i < BT; i++)
    PLUMA_CHECK(tokens[i] >= 0 && tokens[i] < cfg_.vocab_size, "gpt decode_prefill: token id out of range");

  ensure_activations(B, T, /*training=*/false, /*bf16_copies=*/false);
  gpt_activations& a = acts_;
  embedding_forward(ctx, a.encoded, tokens, param(wte_), param(wpe_), B, T, C);
  const float* x = a.encoded;   // the residual stream, (B, T, C)
  for (int l = 0; l < L; l++) {
    const block_index& w = blocks_[l];
    const long lc = long(l) * BT * C, ln = long(l) * BT;
    float* qkv = a.qkv + 3 * lc;   // (B, T, 3*C)
    float* ln1 = a.ln1.f32 + lc;
    layernorm_forward(ctx, ln1, a.ln1_mean + ln, a.ln1_rstd + ln, x, param(w.ln1w), param(w.ln1b), BT, C);
    matmul_decode(ctx, qkv, ln1, (*st->packed)[4 * l], param(w.qkvb), BT);
    kv_cache_prefill(ctx, d.kcache + l * layer_cache, d.vcache + l * layer_cache, qkv, B, T, maxT, C, NH);
    if (l == L - 1) {   // the last position of each sequence goes on alone
      for (int b = 0; b < B; b++) {
        const long row = long(b) * T + T - 1;
        tensor_copy(ctx, d.x + long(b) * C, x + row * C, C);
        tensor_copy(ctx, d.qkv + long(b) * 3 * C, qkv + row * 3 * C, 3 * C);
      }
      kv_cache_write(ctx, d.q, d.kcache + l * layer_cache, d.vcache + l * layer_cache, d.qkv, B, T - 1, maxT, C, NH);
      break;
    }
    float *atty = a.atty.f32 + lc, *attproj = a.attproj + lc, *res2 = a.res2 + lc, *ln2 = a.ln2.f32 + lc;
    float *fch = a.fch + 4 * lc, *fch_gelu = a.fch_gelu.f32 + 4 * lc, *fcproj = a.fcproj + lc, *res3 = a.res3 + lc;
    attention_forward(ctx, atty, a.att + long(l) * B * NH * T * T, qkv, B, T, C, NH);
    matmul_decode(ctx, attproj, atty, (*st->packed)[4 * l + 1], param(w.attprojb), BT);
    residual_forward(ctx, res2, x, attproj, long(BT) * C);
    layernorm_forward(ctx, ln2, a.ln2_mean + ln, a.ln2_rstd + ln, res2, param(w.ln2w), param(w.ln2b), BT, C);
    matmul_decode(ctx, fch, ln2, (*st->packed)[4 * l + 2], param(w.fcb), BT);
    gelu_forward(ctx, fch_gelu, fch, long(BT) * 4 * C);
    matmul_decode(ctx, fcproj, fch_gelu, (*st->packed)[4 * l + 3], param(w.fcprojb), BT);
    residual_forward(ctx, res3, res2, fcproj, long(BT) * C);
    x = res3;
  }
  st->position = T - 1;
  decode_blocks(*st, L - 1, /*qkv_done=*/true, logits);
  st->position = T;
}

}  // namespace pluma
