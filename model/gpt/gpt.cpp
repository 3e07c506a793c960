// The GPT forward and backward passes: scripts of op calls, side by side. Shapes: B sequences of T
// positions, C channels, NH heads, V tokens, L layers. Backward adds into the parameter gradients, or writes
// them after discard_grads.
#include "model/gpt/gpt.h"

#include <utility>

#include "model/ops/attention.h"
#include "model/ops/dropout.h"
#include "model/ops/embedding.h"
#include "model/ops/layernorm.h"
#include "model/ops/matmul.h"
#include "model/ops/mlp_gelu.h"
#include "model/ops/residual.h"
#include "model/ops/softmax_xent.h"
#include "model/ops/tensor_util.h"

namespace pluma {

float gpt_model::forward(const int* inputs, const int* targets, int B, int T, rng* dropout_rng,
                         float* logits) {
  const exec_context& ctx = ctx_;
  const int L = cfg_.layers, C = cfg_.embd, NH = cfg_.heads, V = cfg_.vocab_size;
  const int BT = B * T;
  const float p = cfg_.dropout;
  const bool drop = dropout_rng != nullptr && acts_.training;
  gpt_activations& a = acts_;

  // Under bf16 products on the CPU the weights are rounded once, here, for this forward and its backward.
  if (a.bf16_copies) tensor_to_bf16(ctx, params16_.data(), param_block(), long(n_floats_));
  embedding_forward(ctx, a.encoded, inputs, param(wte_), param(wpe_), B, T, C);
  const float* x = a.encoded;   // the residual stream, (B, T, C)
  if (drop) {
    dropout_forward(ctx, a.encoded_drop, a.encoded_mask, a.encoded, long(BT) * C, p, *dropout_rng);
    x = a.encoded_drop;
  }
  for (int l = 0; l < L; l++) {
    const block_index& w = blocks_[l];
    const long lc = long(l) * BT * C, ln = long(l) * BT;
    const operand_out ln1 = a.ln1.offset(lc);              // (B, T, C)
    float* qkv = a.qkv + 3 * lc;                           // (B, T, 3*C)
    const operand_out atty = a.atty.offset(lc);            // (B, T, C)
    float* att = a.att + long(l) * B * NH * T * T;         // (B, NH, T, T)
    float* attproj = a.attproj + lc;                       // (B, T, C)
    float* res2 = a.res2 + lc;                             // (B, T, C)
    const operand_out ln2 = a.ln2.offset(lc);              // (B, T, C)
    float* fch = a.fch + 4 * lc;                           // (B, T, 4*C) mlp_gelu's saved state
    const operand_out fch_gelu = a.fch_gelu.offset(4 * lc);   // (B, T, 4*C)
    float* fcproj = a.fcproj + lc;                         // (B, T, C)
    float* res3 = a.res3 + lc;                             // (B, T, C)

    layernorm_forward(ctx, ln1, a.ln1_mean + ln, a.ln1_rstd + ln, x, param(w.ln1w), param(w.ln1b), BT, C);
    matmul_forward(ctx, qkv, ln1.in(), weight(w.qkvw), param(w.qkvb), BT, C, 3 * C);
    attention_forward(ctx, atty, att, qkv, B, T, C, NH);
    matmul_forward(ctx, attproj, atty.in(), weight(w.attprojw), param(w.attprojb), BT, C, C);
    const float* attn_out = attproj;
    if (drop) {
      dropout_forward(ctx, a.attproj_drop + lc, a.attproj_mask + lc, attproj, long(BT) * C, p, *dropout_rng);
      attn_out = a.attproj_drop + lc;
    }
    residual_forward(ctx, res2, x, attn_out, long(BT) * C);

    layernorm_forward(ctx, ln2, a.ln2_mean + ln, a.ln2_rstd + ln, res2, param(w.ln2w), param(w.ln2b), BT, C);
    matmul_gelu_forward(ctx, fch, fch_gelu, ln2.in(), weight(w.fcw), param(w.fcb), BT, C, 4 * C);
    matmul_forward(ctx, fcproj, fch_gelu.in(), weight(w.fcprojw), param(w.fcprojb), BT, 4 * C, C);
    const float* mlp_out = fcproj;
    if (drop) {
      dropout_forward(ctx, a.fcproj_drop + lc, a.fcproj_mask + lc, fcproj, long(BT) * C, p, *dropout_rng);
      mlp_out = a.fcproj_drop + lc;
    }
    residual_forward(ctx, res3, res2, mlp_out, long(BT) * C);
    x = res3;
  }
  layernorm_forward(ctx, a.lnf, a.lnf_mean, a.lnf_rstd, x, param(lnfw_), param(lnfb_), BT, C);
  if (!logits) logits = a.logits;
  matmul_forward(ctx, logits, a.lnf.in(), weight(wte_), nullptr, BT, C, V);   // the LM head, tied to wte
  if (!targets) return 0.0f;
  softmax_xent_forward(ctx, a.losses, a.probs, logits, targets, BT, V);
  loss_count_ = targets_count(ctx, targets, BT);
  return loss_count_ > 0 ? float(tensor_sum(ctx, a.losses, BT) / double(loss_count_)) : 0.0f;
}

void gpt_model::backward(const int* inputs, const int* targets, int B, int T, float grad_scale, bool drop) {
  const exec_context& ctx = ctx_;
  const int L = cfg_.layers, C = cfg_.embd, NH = cfg_.heads, V = cfg_.vocab_size;
  const int BT = B * T;
  const long BTC = long(BT) * C;
  const gpt_activations& a = acts_;
  const gpt_grad_scratch& g = dacts_;
  // Every parameter gradient is written once, then added into, here: wte by the head then the embedding, the
  // others by their one op.
  const grad_write pw = std::exchange(grads_discarded_, false) ? grad_write::overwrite : grad_write::add;

  // Mean cross-entropy: each counted position carries grad_scale / count.
  tensor_fill(ctx, g.dlosses, loss_count_ > 0 ? grad_scale / float(loss_count_) : 0.0f, BT);
  tensor_fill(ctx, g.dlogits, 0.0f, long(BT) * V);
  softmax_xent_backward(ctx, g.dlogits, g.dlosses, a.probs, targets, BT, V);
  matmul_backward(ctx, g.dln, grad(wte_), nullptr, g.dlogits, a.lnf.in(), weight(wte_), BT, C, V,
                  grad_write::overwrite, pw);
  const float* x_last = a.res3 + long(L - 1) * BTC;
  layernorm_backward(ctx, g.dresidual, grad(lnfw_), grad(lnfb_), g.dln, x_last, param(lnfw_), a.lnf_mean,
                     a.lnf_rstd, BT, C, grad_write::overwrite, pw);

  // g.dresidual holds d(block output); each branch's input LayerNorm adds its part, which turns it into
  // d(block input) (the skip connection passes the gradient through unchanged).
  for (int l = L - 1; l >= 0; l--) {
    const block_index& w = blocks_[l];
    const long lc = long(l) * BTC, ln = long(l) * BT;
    const float* x = l == 0 ? (drop ? a.encoded_drop : a.encoded) : a.res3 + lc - BTC;   // block input

    // MLP branch: res3 = res2 + dropout(fcproj(gelu(fc(ln2(res2)))))
    const float* dmlp_out = g.dresidual;
    if (drop) {
      tensor_fill(ctx, g.ddrop, 0.0f, BTC);
      dropout_backward(ctx, g.ddrop, g.dresidual, a.fcproj_mask + lc, BTC);
      dmlp_out = g.ddrop;
    }
    gelu_matmul_backward(ctx, g.dfch, grad(w.fcprojw), grad(w.fcprojb), dmlp_out, a.fch + 4 * lc,
                         a.fch_gelu.offset(4 * lc).in(), weight(w.fcprojw), g.dfch_gelu, BT, 4 * C, C,
                         grad_write::overwrite, pw);
    matmul_backward(ctx, g.dln, grad(w.fcw), grad(w.fcb), g.dfch, a.ln2.offset(lc).in(), weight(w.fcw), BT, C,
                    4 * C, grad_write::overwrite, pw);
    layernorm_backward(ctx, g.dresidual, grad(w.ln2w), grad(w.ln2b), g.dln, a.res2 + lc, param(w.ln2w),
                       a.ln2_mean + ln, a.ln2_rstd + ln, BT, C, grad_write::add, pw);

    // Attention branch: res2 = x + dropout(proj(attention(qkv(ln1(x)))))
    const float* dattn_out = g.dresidual;
    if (drop) {
      tensor_fill(ctx, g.ddrop, 0.0f, BTC);
      dropout_backward(ctx, g.ddrop, g.dresidual, a.attproj_mask + lc, BTC);
      dattn_out = g.ddrop;
    }
    matmul_backward(ctx, g.datty, grad(w.attprojw), grad(w.attprojb), dattn_out, a.atty.offset(lc).in(),
                    weight(w.attprojw), BT, C, C, grad_write::overwrite, pw);
    attention_backward(ctx, g.dqkv, g.datty, a.qkv + 3 * lc, a.att + long(l) * B * NH * T * T, B, T, C, NH,
                       grad_write::overwrite);
    matmul_backward(ctx, g.dln, grad(w.qkvw), grad(w.qkvb), g.dqkv, a.ln1.offset(lc).in(), weight(w.qkvw), BT, C,
                    3 * C, grad_write::overwrite, pw);
    layernorm_backward(ctx, g.dresidual, grad(w.ln1w), grad(w.ln1b), g.dln, x, param(w.ln1w),
                       a.ln1_mean + ln, a.ln1_rstd + ln, BT, C, grad_write::add, pw);
  }

  const float* dencoded = g.dresidual;
  if (drop) {
    tensor_fill(ctx, g.ddrop, 0.0f, BTC);
    dropout_backward(ctx, g.ddrop, g.dresidual, a.encoded_mask, BTC);
    dencoded = g.ddrop;
  }
  // wte's gradient holds the head's part; wpe's is added into by the embedding's backward alone
  zero_to_overwrite(ctx, pw, grad(wpe_), long(specs_[wpe_].numel()));
  embedding_backward(ctx, grad(wte_), grad(wpe_), dencoded, inputs, B, T, C);
}

}  // namespace pluma
