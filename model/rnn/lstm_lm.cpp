// The LSTM LM's forward and backward passes: scripts of op calls, side by side. Time-major inside (see
// lstm_activations.h): B sequences of T steps, E embedding channels, H hidden, V tokens, L layers.
// Backward adds into the parameter gradients.
#include <utility>

#include "model/ops/dropout.h"
#include "model/ops/embedding.h"
#include "model/ops/lstm.h"
#include "model/ops/matmul.h"
#include "model/ops/softmax_xent.h"
#include "model/ops/tensor_util.h"
#include "model/ops/transpose.h"
#include "model/rnn/lstm_lm.h"

namespace pluma {

float lstm_lm::forward(const int* inputs, const int* targets, int B, int T, bool from_state, rng* dropout_rng,
                       float* logits) {
  const exec_context& ctx = cpu_context();
  const int L = cfg_.layers, E = cfg_.embd, H = cfg_.hidden, V = cfg_.vocab_size;
  const int N = B * T;
  const long NH = long(N) * H, BH = long(B) * H;
  const bool drop = dropout_rng != nullptr && acts_.drop != nullptr;
  lstm_activations& a = acts_;

  transpose_bt_tokens(ctx, a.tokens, inputs, B, T);
  embedding_forward(ctx, a.emb, a.tokens, param(emb_), nullptr, T, B, E);   // (T, B) tokens -> (T, B, E)
  const float* x = a.emb;   // the current layer's input, (T, B, E or H)
  int C = E;
  for (int l = 0; l < L; l++) {
    const layer_index& w = layers_[l];
    float* h = a.h + l * NH;   // (T, B, H)
    const float* h0 = from_state ? a.h0 + l * BH : nullptr;
    const float* c0 = from_state ? a.c0 + l * BH : nullptr;
    if (own_kernels()) {
      lstm_forward(ctx, h, a.c + l * NH, a.gates + 4 * l * NH, a.hT + l * BH, a.cT + l * BH, x, h0, c0,
                   param(w.w_ih), param(w.w_hh), param(w.b_ih), param(w.b_hh), a.scratch, T, B, C, H);
    } else {
      primitive(l, B, T).forward(h, a.hT + l * BH, a.cT + l * BH, x, h0, c0, param(w.w_ih), param(w.w_hh),
                                 param(w.b_ih), param(w.b_hh), a.training);
    }
    x = h;
    if (drop) {
      dropout_forward(ctx, a.drop + l * NH, a.mask + l * NH, h, NH, cfg_.dropout, *dropout_rng);
      x = a.drop + l * NH;
    }
    C = H;
  }
  matmul_forward(ctx, a.logits, x, param(head_w_), param(head_b_), N, H, V);
  if (logits) transpose_bt(ctx, logits, a.logits, T, B, V);   // (T, B, V) -> (B, T, V)
  if (!targets) return 0.0f;
  transpose_bt_tokens(ctx, a.targets, targets, B, T);
  softmax_xent_forward(ctx, a.losses, a.probs, a.logits, a.targets, N, V);
  loss_count_ = targets_count(ctx, a.targets, N);
  return loss_count_ > 0 ? float(tensor_sum(ctx, a.losses, N) / double(loss_count_)) : 0.0f;
}

void lstm_lm::backward(int B, int T, bool from_state, float grad_scale) {
  const exec_context& ctx = cpu_context();
  const int L = cfg_.layers, E = cfg_.embd, H = cfg_.hidden, V = cfg_.vocab_size;
  const int N = B * T;
  const long NH = long(N) * H, BH = long(B) * H;
  const bool drop = acts_.drop != nullptr;
  const lstm_activations& a = acts_;
  lstm_grad_scratch& g = dacts_;

  // Mean cross-entropy: each counted position carries grad_scale / count.
  tensor_fill(ctx, g.dlosses, loss_count_ > 0 ? grad_scale / float(loss_count_) : 0.0f, N);
  tensor_fill(ctx, g.dlogits, 0.0f, long(N) * V);
  softmax_xent_backward(ctx, g.dlogits, g.dlosses, a.probs, a.targets, N, V);
  const float* top = drop ? a.drop + (L - 1) * NH : a.h + (L - 1) * NH;   // the head's input
  tensor_fill(ctx, g.dtop, 0.0f, NH);
  matmul_backward(ctx, g.dtop, grad(head_w_), grad(head_b_), g.dlogits, top, param(head_w_), N, H, V);

  tensor_fill(ctx, g.dh0, 0.0f, L * BH);
  tensor_fill(ctx, g.dc0, 0.0f, L * BH);
  // g.dtop holds d(layer l's output after dropout); each layer turns it into d(its input) in g.dh.
  float* dout = g.dtop;
  float* dinp = g.dh;
  for (int l = L - 1; l >= 0; l--) {
    const layer_index& w = layers_[l];
    const int C = l == 0 ? E : H;
    const float* x = l == 0 ? a.emb : (drop ? a.drop + (l - 1) * NH : a.h + (l - 1) * NH);
    const float* dh = dout;   // d(this layer's h), (T, B, H)
    if (drop) {
      tensor_fill(ctx, dinp, 0.0f, NH);
      dropout_backward(ctx, dinp, dout, a.mask + l * NH, NH);
      std::swap(dout, dinp);
      dh = dout;
    }
    tensor_fill(ctx, dinp, 0.0f, long(N) * C);
    float* dh0 = from_state ? g.dh0 + l * BH : nullptr;
    float* dc0 = from_state ? g.dc0 + l * BH : nullptr;
    if (own_kernels()) {
      lstm_backward(ctx, dinp, dh0, dc0, grad(w.w_ih), grad(w.w_hh), grad(w.b_ih), grad(w.b_hh), dh, nullptr,
                    nullptr, x, from_state ? a.h0 + l * BH : nullptr, from_state ? a.c0 + l * BH : nullptr,
                    param(w.w_ih), param(w.w_hh), a.h + l * NH, a.c + l * NH, a.gates + 4 * l * NH, g.scratch, T,
                    B, C, H);
    } else {
      primitive(l, B, T).backward(dinp, dh0, dc0, grad(w.w_ih), grad(w.w_hh), grad(w.b_ih), grad(w.b_hh), dh,
                                  nullptr, nullptr);
    }
    std::swap(dout, dinp);   // d(layer input) = d(previous layer's output after dropout)
  }
  embedding_backward(ctx, grad(emb_), nullptr, dout, a.tokens, T, B, E);
}

}  // namespace pluma
