#include "model/gpt/gpt_activations.h"

namespace pluma {

namespace {

// Hands out 64-byte aligned pieces of one block, or only counts them when base is null.
struct carver {
  float* base;
  size_t used = 0;
  void take(float*& p, size_t n) {
    p = base ? base + used : nullptr;
    used += (n + 15) / 16 * 16;
  }
  // n values in fp32, or their bf16 copies (two to a float of the block: that region is only ever read and
  // written as uint16_t, never as float)
  void take(operand_out& p, size_t n, bool bf16) {
    float* f = nullptr;
    take(f, bf16 ? (n + 1) / 2 : n);
    p = bf16 ? operand_out(reinterpret_cast<uint16_t*>(f)) : operand_out(f);
  }
};

}  // namespace

size_t gpt_activations_layout(gpt_activations& a, float* base, const gpt_config& c, int B, int T,
                              bool training, bool bf16_copies) {
  const size_t L = c.layers, C = c.embd, NH = c.heads, V = c.vocab_size, BT = static_cast<size_t>(B) * T;
  const bool drop = training && c.dropout > 0.0f;
  a.B = B;
  a.T = T;
  a.training = drop;
  a.bf16_copies = bf16_copies;
  carver k{base};
  k.take(a.encoded, BT * C);
  k.take(a.encoded_mask, drop ? BT * C : 0);
  k.take(a.encoded_drop, drop ? BT * C : 0);
  k.take(a.ln1, L * BT * C, bf16_copies);
  k.take(a.ln1_mean, L * BT);
  k.take(a.ln1_rstd, L * BT);
  k.take(a.qkv, L * BT * 3 * C);
  k.take(a.atty, L * BT * C, bf16_copies);
  k.take(a.att, L * B * NH * T * T);
  k.take(a.attproj, L * BT * C);
  k.take(a.attproj_mask, drop ? L * BT * C : 0);
  k.take(a.attproj_drop, drop ? L * BT * C : 0);
  k.take(a.res2, L * BT * C);
  k.take(a.ln2, L * BT * C, bf16_copies);
  k.take(a.ln2_mean, L * BT);
  k.take(a.ln2_rstd, L * BT);
  k.take(a.fch, L * BT * 4 * C);
  k.take(a.fch_gelu, L * BT * 4 * C, bf16_copies);
  k.take(a.fcproj, L * BT * C);
  k.take(a.fcproj_mask, drop ? L * BT * C : 0);
  k.take(a.fcproj_drop, drop ? L * BT * C : 0);
  k.take(a.res3, L * BT * C);
  k.take(a.lnf, BT * C, bf16_copies);
  k.take(a.lnf_mean, BT);
  k.take(a.lnf_rstd, BT);
  k.take(a.logits, BT * V);
  k.take(a.probs, BT * V);
  k.take(a.losses, BT);
  return k.used;
}

size_t gpt_grad_scratch_layout(gpt_grad_scratch& g, float* base, const gpt_config& c, int B, int T) {
  const size_t C = c.embd, V = c.vocab_size, BT = static_cast<size_t>(B) * T;
  carver k{base};
  k.take(g.dresidual, BT * C);
  k.take(g.dln, BT * C);
  k.take(g.ddrop, BT * C);
  k.take(g.datty, BT * C);
  k.take(g.dqkv, BT * 3 * C);
  k.take(g.dfch, BT * 4 * C);
  k.take(g.dfch_gelu, BT * 4 * C);
  k.take(g.dlogits, BT * V);
  k.take(g.dlosses, BT);
  return k.used;
}

size_t gpt_decode_buffers_layout(gpt_decode_buffers& d, float* base, const gpt_config& c, int B) {
  const size_t L = c.layers, C = c.embd, maxT = c.context;
  carver k{base};
  k.take(d.kcache, L * B * maxT * C);
  k.take(d.vcache, L * B * maxT * C);
  k.take(d.x, B * C);
  k.take(d.res, B * C);
  k.take(d.ln, B * C);
  k.take(d.ln_mean, B);
  k.take(d.ln_rstd, B);
  k.take(d.qkv, B * 3 * C);
  k.take(d.q, B * C);
  k.take(d.atty, B * C);
  k.take(d.proj, B * C);
  k.take(d.fch, B * 4 * C);
  k.take(d.fch_gelu, B * 4 * C);
  return k.used;
}

}  // namespace pluma
