// LSTM LM incremental decoding: one token per sequence per step through every layer, carrying (h, c).
#include <algorithm>
#include <vector>

#include "model/core/check.h"
#include "model/ops/embedding.h"
#include "model/ops/lstm.h"
#include "model/ops/matmul.h"
#include "model/ops/matmul_decode.h"
#include "model/rnn/lstm_lm.h"

namespace pluma {
namespace {

struct lstm_decode_state final : decode_state {
  arena memory;
  float* h = nullptr;         // (L, B, H)
  float* c = nullptr;         // (L, B, H)
  float* x = nullptr;         // (B, E) the embedded tokens
  float* scratch = nullptr;   // (lstm_step_scratch_floats(B, H))
  // With matmul_bf16(): every layer's w_ih then w_hh in bfloat16 (layer l's at 2l and 2l + 1, one less when
  // the first layer reads first_gates and has no w_ih copy), made at decode_begin (decoding reads half the
  // bytes); empty otherwise.
  bf16_matrices w16;
  // For a small vocabulary (V <= E: a character model), the first layer's input product of every token,
  // embedding·W_ihᵀ + b_ih (V, 4H), made at decode_begin: a step then reads a row of it instead of the whole
  // of W_ih, a quarter of a 2-layer model's weight bytes per token. Empty otherwise.
  std::vector<float> first_gates;
};

}  // namespace

std::unique_ptr<decode_state> lstm_lm::decode_begin(int B) {
  PLUMA_CHECK(B > 0, "lstm decode_begin: B must be positive");
  params();
  auto st = std::make_unique<lstm_decode_state>();
  st->batch = B;
  st->position = 0;
  const size_t state = size_t(cfg_.layers) * B * cfg_.hidden, x = size_t(B) * cfg_.embd;
  st->memory.resize(2 * state + x + lstm_step_scratch_floats(B, cfg_.hidden));   // zero-filled
  st->h = st->memory.data();
  st->c = st->h + state;
  st->x = st->c + state;
  st->scratch = st->x + x;
  const int V = cfg_.vocab_size, E = cfg_.embd, G = 4 * cfg_.hidden;
  const bool table = V <= E;
  if (table) {   // the training forward's GEMM (with bf16 operands under --precision bf16, as the steps' own)
    st->first_gates.resize(size_t(V) * G);
    matmul_forward(cpu_context(), st->first_gates.data(), param(emb_), param(layers_[0].w_ih), param(layers_[0].b_ih),
                   V, E, G);
  }
  if (matmul_bf16())
    for (size_t l = 0; l < layers_.size(); l++) {
      const layer_index& w = layers_[l];
      if (l > 0 || !table) st->w16.add(param(w.w_ih), specs_[w.w_ih].numel());
      st->w16.add(param(w.w_hh), specs_[w.w_hh].numel());
    }
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
  const int L = cfg_.layers, E = cfg_.embd, H = cfg_.hidden, V = cfg_.vocab_size, B = st->batch;
  const long BH = long(B) * H;

  const bool table = !st->first_gates.empty();
  const int skip = table ? 1 : 0;   // w16 holds no w_ih of the first layer then
  if (!table) embedding_forward(ctx, st->x, tokens, param(emb_), nullptr, B, 1, E);
  const float* x = st->x;
  int C = E;
  for (int l = 0; l < L; l++) {
    const layer_index& w = layers_[l];
    float* h = st->h + l * BH;   // (B, H) updated in place
    float* c = st->c + l * BH;
    if (l == 0 && table) {   // gates = the tokens' rows of the table; rec = h·W_hhᵀ; then the cell
      const int G = 4 * H;
      float* gates = st->scratch;
      float* rec = st->scratch + long(B) * G;
      for (int b = 0; b < B; b++) {
        PLUMA_CHECK(tokens[b] >= 0 && tokens[b] < cfg_.vocab_size, "lstm decode_step: token id out of range");
        std::copy_n(st->first_gates.data() + long(tokens[b]) * G, G, gates + long(b) * G);
      }
      if (st->w16.empty())
        matmul_forward(ctx, rec, h, param(w.w_hh), nullptr, B, H, G);
      else
        matmul_rows_bf16w(ctx, rec, h, st->w16[0], nullptr, B, H, G);
      lstm_cell_forward(ctx, gates, c, h, rec, param(w.b_hh), c, B, H);
    } else if (st->w16.empty())
      lstm_step(ctx, h, c, x, h, c, param(w.w_ih), param(w.w_hh), param(w.b_ih), param(w.b_hh), st->scratch, B,
                C, H);
    else
      lstm_step_bf16(ctx, h, c, x, h, c, st->w16[2 * l - skip], st->w16[2 * l + 1 - skip],
                     param(w.b_ih), param(w.b_hh), st->scratch, B, C, H);
    x = h;
    C = H;
  }
  matmul_forward(ctx, logits, x, param(head_w_), param(head_b_), B, H, V);
  st->position++;
}

}  // namespace pluma
