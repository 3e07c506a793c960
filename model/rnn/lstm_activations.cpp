#include "model/rnn/lstm_activations.h"

#include <algorithm>

#include "model/ops/lstm.h"

namespace pluma {
namespace {

// Hands out 64-byte aligned pieces of base (or only counts them when base is nullptr).
struct carver {
  float* base;
  size_t used = 0;
  float* take(size_t n) {
    float* p = base ? base + used : nullptr;
    used += (n + 15) / 16 * 16;
    return p;
  }
  int* take_ints(size_t n) { return reinterpret_cast<int*>(take(n)); }   // sizeof(int) == sizeof(float)
};
static_assert(sizeof(int) == sizeof(float));

}  // namespace

size_t lstm_activations_layout(lstm_activations& a, float* base, const lstm_config& c, int B, int T,
                               bool training, bool own_kernels) {
  const size_t L = c.layers, E = c.embd, H = c.hidden, V = c.vocab_size, BT = size_t(B) * T;
  const bool drop = training && c.dropout > 0.0f;
  carver k{base};
  a.B = B, a.T = T, a.training = training;
  a.tokens = k.take_ints(BT);
  a.targets = k.take_ints(BT);
  a.emb = k.take(BT * E);
  a.h = k.take(L * BT * H);
  a.c = own_kernels ? k.take(L * BT * H) : nullptr;
  a.gates = own_kernels ? k.take(L * BT * 4 * H) : nullptr;
  a.drop = drop ? k.take(L * BT * H) : nullptr;
  a.mask = drop ? k.take(L * BT * H) : nullptr;
  a.h0 = k.take(L * B * H);
  a.c0 = k.take(L * B * H);
  a.hT = k.take(L * B * H);
  a.cT = k.take(L * B * H);
  a.logits = k.take(BT * V);
  a.probs = k.take(BT * V);
  a.losses = k.take(BT);
  a.scratch = own_kernels ? k.take(lstm_forward_scratch_floats(B, c.hidden)) : nullptr;
  return k.used;
}

size_t lstm_grad_scratch_layout(lstm_grad_scratch& g, float* base, const lstm_config& c, int B, int T,
                                bool own_kernels) {
  const size_t L = c.layers, H = c.hidden, V = c.vocab_size, BT = size_t(B) * T;
  const size_t wide = std::max(c.embd, c.hidden);
  carver k{base};
  g.dlosses = k.take(BT);
  g.dlogits = k.take(BT * V);
  g.dtop = k.take(BT * wide);
  g.dh = k.take(BT * wide);
  g.dh0 = k.take(L * B * H);
  g.dc0 = k.take(L * B * H);
  g.scratch = own_kernels ? k.take(lstm_backward_scratch_floats(T, B, c.hidden)) : nullptr;
  return k.used;
}

}  // namespace pluma
