// LSTM LM incremental decoding: one token per sequence per step through every layer, carrying (h, c).
#include <algorithm>
#include <memory>
#include <vector>

#include "model/core/check.h"
#include "model/ops/embedding.h"
#include "model/ops/lstm.h"
#include "model/ops/matmul.h"
#include "model/ops/matmul_decode.h"
#include "model/rnn/lstm_lm.h"

namespace pluma {

// What a decoding state reads besides its own h and c: its own, or the model's shared ones
// (share_decoding_weights).
struct lstm_lm::packed_weights {
  // The matrices a step reads, packed for decoding (in bfloat16 with matmul_bf16(): a step reads half the
  // bytes): layer l's [W_ih | W_hh] (4H, C + H) at l, which takes [x | h_prev] in one product (the first
  // layer's W_hh alone when it reads first_gates), then the head (V, H) at L.
  decode_matrices packed;
  // For a small vocabulary (V <= E: a character model), the first layer's input product of every token,
  // embedding·W_ihᵀ + b_ih (V, 4H): a step then reads a row of it instead of the whole of W_ih, a quarter of a
  // 2-layer model's weight bytes per token. Empty otherwise.
  std::vector<float> first_gates;
  bool bf16() const { return packed.bf16(); }
};

namespace {

struct lstm_decode_state final : decode_state {
  arena memory;
  float* h = nullptr;         // (L, B, H)
  float* c = nullptr;         // (L, B, H)
  float* x = nullptr;         // (B, E) the embedded tokens
  float* scratch = nullptr;   // (lstm_step_scratch_floats(B, H))
  float* xh = nullptr;        // (B, C + H) a layer's input and previous output side by side
  std::shared_ptr<const lstm_lm::packed_weights> w;   // made at decode_begin
};

}  // namespace

std::unique_ptr<decode_state> lstm_lm::decode_begin(int B) {
  PLUMA_CHECK(B > 0, "lstm decode_begin: B must be positive");
  params();
  auto st = std::make_unique<lstm_decode_state>();
  st->batch = B;
  st->position = 0;
  const size_t state = size_t(cfg_.layers) * B * cfg_.hidden, x = size_t(B) * cfg_.embd;
  const size_t xh = size_t(B) * (std::max(cfg_.embd, cfg_.hidden) + cfg_.hidden);
  st->memory.resize(2 * state + x + lstm_step_scratch_floats(B, cfg_.hidden) + xh);   // zero-filled
  st->h = st->memory.data();
  st->c = st->h + state;
  st->x = st->c + state;
  st->scratch = st->x + x;
  st->xh = st->scratch + lstm_step_scratch_floats(B, cfg_.hidden);
  st->w = weights_.get(matmul_bf16(), [&] {
    auto dw = std::make_shared<packed_weights>();
    const int V = cfg_.vocab_size, E = cfg_.embd, H = cfg_.hidden, G = 4 * H;
    const bool table = V <= E;
    if (table) {   // the training forward's GEMM (with bf16 operands under --precision bf16, as the steps' own)
      dw->first_gates.resize(size_t(V) * G);
      matmul_forward(cpu_context(), dw->first_gates.data(), param(emb_), param(layers_[0].w_ih),
                     param(layers_[0].b_ih), V, E, G);
    }
    // [W_ih | W_hh] of each layer (the first layer's W_hh alone with the table), then the head
    std::vector<decode_matrices::source> mats;
    for (size_t l = 0; l < layers_.size(); l++) {
      const layer_index& w = layers_[l];
      const int C = l == 0 ? E : H;
      if (l == 0 && table)
        mats.push_back({param(w.w_hh), G, H});
      else
        mats.push_back({param(w.w_ih), G, C + H, param(w.w_hh), C});
    }
    mats.push_back({param(head_w_), V, H});
    dw->packed = decode_matrices(mats, matmul_bf16());
    return std::shared_ptr<const packed_weights>(std::move(dw));
  });
  return st;
}

void lstm_lm::decode_rewind(decode_state& state) {
  auto* st = dynamic_cast<lstm_decode_state*>(&state);
  PLUMA_CHECK(st != nullptr, "lstm decode_rewind: the state was not made by this model's decode_begin");
  std::fill(st->h, st->h + 2 * size_t(cfg_.layers) * st->batch * cfg_.hidden, 0.0f);   // h then c
  st->position = 0;
}

// tokens: (B); logits: (B, V)
void lstm_lm::decode_step(decode_state& state, const int* tokens, float* logits) {
  auto* st = dynamic_cast<lstm_decode_state*>(&state);
  PLUMA_CHECK(st != nullptr, "lstm decode_step: the state was not made by this model's decode_begin");
  const exec_context& ctx = cpu_context();
  const int L = cfg_.layers, E = cfg_.embd, H = cfg_.hidden, B = st->batch;
  const long BH = long(B) * H;

  const packed_weights& dw = *st->w;
  const bool table = !dw.first_gates.empty();
  if (!table) embedding_forward(ctx, st->x, tokens, param(emb_), nullptr, B, 1, E);
  const int G = 4 * H;
  float* gates = st->scratch;
  float* rec = st->scratch + long(B) * G;
  const float* x = st->x;
  int C = E;
  for (int l = 0; l < L; l++) {
    const layer_index& w = layers_[l];
    float* h = st->h + l * BH;   // (B, H) updated in place
    float* c = st->c + l * BH;
    if (l == 0 && table) {   // gates = the tokens' rows of the table; rec = h·W_hhᵀ; then the cell
      for (int b = 0; b < B; b++) {
        PLUMA_CHECK(tokens[b] >= 0 && tokens[b] < cfg_.vocab_size, "lstm decode_step: token id out of range");
        std::copy_n(dw.first_gates.data() + long(tokens[b]) * G, G, gates + long(b) * G);
      }
      matmul_decode(ctx, rec, h, dw.packed[0], nullptr, B);
      lstm_cell_forward(ctx, gates, c, h, rec, param(w.b_hh), c, B, H);
    } else {   // gates = [x | h]·[W_ih | W_hh]ᵀ + b_ih; then the cell
      for (int b = 0; b < B; b++) {
        std::copy_n(x + long(b) * C, C, st->xh + long(b) * (C + H));
        std::copy_n(h + long(b) * H, H, st->xh + long(b) * (C + H) + C);
      }
      matmul_decode(ctx, gates, st->xh, dw.packed[l], param(w.b_ih), B);
      lstm_cell_forward(ctx, gates, c, h, nullptr, param(w.b_hh), c, B, H);
    }
    x = h;
    C = H;
  }
  matmul_decode(ctx, logits, x, dw.packed[L], param(head_b_), B);
  st->position++;
}

}  // namespace pluma
