// seq2seq: the teacher-forced forward and backward scripts (see seq2seq.h for the model, and
// seq2seq_workspace.h for the row order, the packed decoder layout and every buffer's shape). Backward
// mirrors forward in reverse order.
#include <algorithm>
#include <cstring>

#include "model/core/check.h"
#include "model/core/exec.h"
#include "model/ops/dropout.h"
#include "model/ops/embedding.h"
#include "model/ops/lstm.h"
#include "model/ops/lstm_lengths.h"
#include "model/ops/luong_attention.h"
#include "model/ops/matmul.h"
#include "model/ops/residual.h"
#include "model/ops/seq_ops.h"
#include "model/ops/softmax_xent.h"
#include "model/ops/transpose.h"
#include "model/rnn/seq2seq.h"
#include "model/rnn/seq2seq_workspace.h"
#include "tokenizer/tokenizer.h"

namespace pluma {
namespace {

void zero(std::vector<float>& v, size_t n) { std::fill_n(v.data(), n, 0.0f); }

// Training: out = dropout(inp) (mask saved; p may be 0). Evaluation (gen == nullptr): out = inp.
void dropout_or_copy(const exec_context& ctx, float* out, float* mask, const float* inp, long N, float p,
                     rng* gen) {
  if (gen) dropout_forward(ctx, out, mask, inp, N, p, *gen);
  else std::memcpy(out, inp, size_t(N) * sizeof(float));
}

}  // namespace

void seq2seq_model::encoder_forward(seq2seq_workspace& w, rng* gen) {
  const exec_context& ctx = exec();
  const int B = w.B, S = w.S, E = cfg_.emb, He = cfg_.enc_hidden, D = 2 * He, Hd = cfg_.dec_hidden;
  const float p = cfg_.dropout;
  const int* len = w.src_len.data();
  embedding_forward(ctx, w.src_emb.data(), w.src_tm.data(), param(src_emb_), nullptr, S, B, E);
  for (int l = 0; l < cfg_.enc_layers; l++) {
    seq2seq_enc_layer& L = w.layers[l];
    const float* below = l == 0 ? w.src_emb.data() : w.layers[l - 1].out.data();
    dropout_or_copy(ctx, L.in.data(), L.drop_mask.data(), below, long(S) * B * L.C, p, gen);
    seq_reverse_forward(ctx, L.in_rev.data(), L.in.data(), len, S, B, L.C);
    const lstm_index& f = enc_fw_[l];
    const lstm_index& r = enc_bw_[l];
    lstm_forward(ctx, L.h_fw.data(), L.c_fw.data(), L.g_fw.data(), nullptr, nullptr, L.in.data(), nullptr,
                 nullptr, param(f.w_ih), param(f.w_hh), param(f.b_ih), param(f.b_hh), w.scratch.data(), S, B, L.C,
                 He);
    lstm_forward(ctx, L.h_bw.data(), L.c_bw.data(), L.g_bw.data(), nullptr, nullptr, L.in_rev.data(), nullptr,
                 nullptr, param(r.w_ih), param(r.w_hh), param(r.b_ih), param(r.b_hh), w.scratch.data(), S, B,
                 L.C, He);
    bidir_merge_forward(ctx, L.out.data(), L.h_fw.data(), L.h_bw.data(), len, S, B, He, He);
  }
  // bridge from the last layer's final states (each row's own last token, in both directions)
  seq2seq_enc_layer& top = w.layers.back();
  float* tmp_f = w.last_tmp.data();             // (B, He)
  float* tmp_b = tmp_f + size_t(B) * He;        // (B, He)
  seq_last_forward(ctx, tmp_f, top.h_fw.data(), len, S, B, He);
  seq_last_forward(ctx, tmp_b, top.h_bw.data(), len, S, B, He);
  concat_forward(ctx, w.last_h.data(), tmp_f, tmp_b, B, He, He);
  seq_last_forward(ctx, tmp_f, top.c_fw.data(), len, S, B, He);
  seq_last_forward(ctx, tmp_b, top.c_bw.data(), len, S, B, He);
  concat_forward(ctx, w.last_c.data(), tmp_f, tmp_b, B, He, He);
  matmul_forward(ctx, w.h0.data(), w.last_h.data(), param(bridge_hw_), param(bridge_hb_), B, D, Hd);
  tanh_forward(ctx, w.h0.data(), w.h0.data(), long(B) * Hd);
  matmul_forward(ctx, w.c0.data(), w.last_c.data(), param(bridge_cw_), param(bridge_cb_), B, D, Hd);
  // the attention memory, batch-major, and its keys W_a · h_s, once per sentence
  transpose_bt(ctx, w.values.data(), top.out.data(), S, B, D);
  matmul_forward(ctx, w.keys.data(), w.values.data(), param(attn_w_), nullptr, B * S, D, Hd);
}

seq2seq_loss seq2seq_model::forward(const seq2seq_inputs& in, float label_smoothing, rng* gen) {
  const exec_context& ctx = exec();
  PLUMA_CHECK(in.B > 0 && in.S > 0 && in.T > 0, "seq2seq forward: empty batch");
  seq2seq_workspace& w = *ws_;
  seq2seq_pack_inputs(w, cfg_, in, gen != nullptr);
  encoder_forward(w, gen);

  const int S = w.S, T = w.T, N = w.N;
  const int E = cfg_.emb, D = 2 * cfg_.enc_hidden, Hd = cfg_.dec_hidden, V = cfg_.vocab_size, G = 4 * Hd;
  const int* len = w.src_len.data();
  embedding_forward(ctx, w.tgt_emb.data(), w.tgt_ids.data(), param(tgt_emb_), nullptr, 1, N, E);
  dropout_or_copy(ctx, w.ye.data(), w.tgt_emb_mask.data(), w.tgt_emb.data(), long(N) * E, cfg_.dropout, gen);
  // the cell's input weights in blocks (seq2seq_workspace.h); the embedding part of all steps at once
  zero(w.w_e, size_t(G) * E);
  zero(w.w_f, size_t(G) * Hd);
  concat_backward(ctx, w.w_e.data(), w.w_f.data(), param(dec_.w_ih), G, E, Hd);
  concat_forward(ctx, w.w_fh.data(), w.w_f.data(), param(dec_.w_hh), G, Hd, Hd);
  matmul_forward(ctx, w.gates.data(), w.ye.data(), w.w_e.data(), param(dec_.b_ih), N, E, G);
  // the steps; step t runs the Bt rows still inside their target (packed rows o .. o + Bt)
  for (int t = 0; t < T; t++) {
    const int Bt = w.steps_rows[t];
    const size_t o = w.steps_off[t], op = t ? w.steps_off[t - 1] : 0;
    const float* feed_prev = t ? w.feeds.data() + op * Hd : w.zeros.data();
    const float* h_prev = t ? w.hs.data() + op * Hd : w.h0.data();
    const float* c_prev = t ? w.cs.data() + op * Hd : w.c0.data();
    float* xf = w.xf.data() + o * 2 * Hd;
    float* h = w.hs.data() + o * Hd;
    float* cat = w.cats.data() + o * (D + Hd);
    concat_forward(ctx, xf, feed_prev, h_prev, Bt, Hd, Hd);
    matmul_forward(ctx, w.rec.data(), xf, w.w_fh.data(), nullptr, Bt, 2 * Hd, G);
    lstm_cell_forward(ctx, w.gates.data() + o * G, w.cs.data() + o * Hd, h, w.rec.data(), param(dec_.b_hh), c_prev,
                      Bt, Hd);
    luong_attention_forward(ctx, w.ctx.data(), w.att_probs.data() + o * S, h, w.keys.data(), w.values.data(), len,
                            S, Bt, Hd, D);
    concat_forward(ctx, cat, w.ctx.data(), h, Bt, D, Hd);
    matmul_forward(ctx, w.pres.data() + o * Hd, cat, param(attn_out_), nullptr, Bt, D + Hd, Hd);
    tanh_forward(ctx, w.atts.data() + o * Hd, w.pres.data() + o * Hd, long(Bt) * Hd);
    dropout_or_copy(ctx, w.feeds.data() + o * Hd, w.feed_mask.data() + o * Hd, w.atts.data() + o * Hd,
                    long(Bt) * Hd, cfg_.dropout, gen);
  }
  // the output projection and the loss of every real target position at once
  matmul_forward(ctx, w.logits.data(), w.feeds.data(), param(proj_w_), param(proj_b_), N, Hd, V);
  seq2seq_loss loss;
  if (!in.tgt_out) return loss;
  for (int i = 0; i < N; i++) loss.tokens += w.targets[i] >= 0;
  softmax_xent_forward(ctx, w.losses.data(), w.probs.data(), w.logits.data(), w.targets.data(), N, V,
                       label_smoothing);
  for (int i = 0; i < N; i++) loss.smoothed += w.losses[i];
  if (gen) return loss;   // training: probs must stay the smoothed loss's for backward
  if (label_smoothing == 0.0f) {
    loss.nll = loss.smoothed;
  } else {
    softmax_xent_forward(ctx, w.losses.data(), w.probs.data(), w.logits.data(), w.targets.data(), N, V, 0.0f);
    for (int i = 0; i < N; i++) loss.nll += w.losses[i];
  }
  return loss;
}

void seq2seq_model::backward(const seq2seq_inputs& in, float label_smoothing, float grad_scale) {
  const exec_context& ctx = exec();
  seq2seq_workspace& w = *ws_;
  const int B = w.B, S = w.S, T = w.T, N = w.N;
  const int E = cfg_.emb, D = 2 * cfg_.enc_hidden, Hd = cfg_.dec_hidden, V = cfg_.vocab_size, G = 4 * Hd;
  const size_t BHd = size_t(B) * Hd;
  const int* len = w.src_len.data();
  long tokens = 0;
  for (int i = 0; i < N; i++) tokens += w.targets[i] >= 0;
  PLUMA_CHECK(tokens > 0, "seq2seq backward: no scored target");

  // loss and output projection, all positions at once
  std::fill_n(w.dlosses.data(), N, grad_scale / float(tokens));
  zero(w.logits, size_t(N) * V);   // becomes dlogits
  softmax_xent_backward(ctx, w.logits.data(), w.dlosses.data(), w.probs.data(), w.targets.data(), N, V,
                        label_smoothing);
  zero(w.dfeeds, size_t(N) * Hd);
  matmul_backward(ctx, w.dfeeds.data(), grad(proj_w_), grad(proj_b_), w.logits.data(), w.feeds.data(),
                  param(proj_w_), N, Hd, V);

  // decoder steps in reverse: the feed gradient of step t reaches step t-1 through its cell input
  transpose_2d(ctx, w.w_out_t.data(), param(attn_out_), Hd, D + Hd);
  transpose_2d(ctx, w.w_fh_t.data(), w.w_fh.data(), G, 2 * Hd);
  zero(w.pres, size_t(N) * Hd);   // becomes dpre
  zero(w.dkeys, size_t(B) * S * Hd);
  zero(w.dvalues, size_t(B) * S * D);
  zero(w.dh0, BHd);
  zero(w.dh_carry, BHd);   // rows past a step's Bt stay zero: nothing flows back from after a row's end
  zero(w.dc_carry, BHd);
  for (int t = T - 1; t >= 0; t--) {
    const int Bt = w.steps_rows[t];
    const size_t o = w.steps_off[t], op = t ? w.steps_off[t - 1] : 0, nh = size_t(Bt) * Hd;
    const float* c_prev = t ? w.cs.data() + op * Hd : w.c0.data();
    float* dpre = w.pres.data() + o * Hd;
    float* dgates = w.dgates.data() + o * G;
    zero(w.datt, nh);
    dropout_backward(ctx, w.datt.data(), w.dfeeds.data() + o * Hd, w.feed_mask.data() + o * Hd, long(nh));
    tanh_backward(ctx, dpre, w.atts.data() + o * Hd, w.datt.data(), long(nh));
    matmul_forward(ctx, w.dcat.data(), dpre, w.w_out_t.data(), nullptr, Bt, Hd, D + Hd);
    zero(w.dctx, size_t(Bt) * D);
    zero(w.dh_att, nh);
    concat_backward(ctx, w.dctx.data(), w.dh_att.data(), w.dcat.data(), Bt, D, Hd);
    luong_attention_backward(ctx, w.dh_att.data(), w.dkeys.data(), w.dvalues.data(), w.dctx.data(),
                             w.att_probs.data() + o * S, w.hs.data() + o * Hd, w.keys.data(), w.values.data(), len,
                             S, Bt, Hd, D);
    lstm_cell_backward(ctx, dgates, w.dc_carry.data(), w.dh_att.data(), w.dh_carry.data(), w.gates.data() + o * G,
                       w.cs.data() + o * Hd, c_prev, Bt, Hd);
    matmul_forward(ctx, w.dxf.data(), dgates, w.w_fh_t.data(), nullptr, Bt, G, 2 * Hd);   // [dfeed | dh] of t-1
    zero(w.dh_carry, BHd);
    concat_backward(ctx, t ? w.dfeeds.data() + op * Hd : nullptr, t ? w.dh_carry.data() : w.dh0.data(),
                    w.dxf.data(), Bt, Hd, Hd);
  }
  std::copy_n(w.dc_carry.data(), BHd, w.dc0.data());
  matmul_backward(ctx, nullptr, grad(attn_out_), nullptr, w.pres.data(), w.cats.data(), param(attn_out_), N,
                  D + Hd, Hd);
  // the cell's weight gradients of all steps at once, then back into the parameters' layout
  zero(w.dye, size_t(N) * E);
  zero(w.dw_e, size_t(G) * E);
  zero(w.db, G);
  matmul_backward(ctx, w.dye.data(), w.dw_e.data(), w.db.data(), w.dgates.data(), w.ye.data(), w.w_e.data(), N, E,
                  G);
  zero(w.dw_fh, size_t(G) * 2 * Hd);
  matmul_backward(ctx, nullptr, w.dw_fh.data(), nullptr, w.dgates.data(), w.xf.data(), w.w_fh.data(), N, 2 * Hd, G);
  zero(w.dw_f, size_t(G) * Hd);
  zero(w.dw_h, size_t(G) * Hd);
  concat_backward(ctx, w.dw_f.data(), w.dw_h.data(), w.dw_fh.data(), G, Hd, Hd);
  concat_forward(ctx, w.dw_ih.data(), w.dw_e.data(), w.dw_f.data(), G, E, Hd);
  residual_forward(ctx, grad(dec_.w_ih), grad(dec_.w_ih), w.dw_ih.data(), long(G) * (E + Hd));
  residual_forward(ctx, grad(dec_.w_hh), grad(dec_.w_hh), w.dw_h.data(), long(G) * Hd);
  residual_forward(ctx, grad(dec_.b_ih), grad(dec_.b_ih), w.db.data(), G);
  residual_forward(ctx, grad(dec_.b_hh), grad(dec_.b_hh), w.db.data(), G);
  zero(w.dembed, size_t(N) * E);
  dropout_backward(ctx, w.dembed.data(), w.dye.data(), w.tgt_emb_mask.data(), long(N) * E);
  embedding_backward(ctx, grad(tgt_emb_), nullptr, w.dembed.data(), w.tgt_ids.data(), 1, N, E);
  encoder_backward(w);
}

void seq2seq_model::encoder_backward(seq2seq_workspace& w) {
  const exec_context& ctx = exec();
  const int B = w.B, S = w.S, E = cfg_.emb, He = cfg_.enc_hidden, D = 2 * He, Hd = cfg_.dec_hidden;
  const size_t SB = size_t(S) * B;
  const int* len = w.src_len.data();
  // bridge and keys
  zero(w.dpre_bridge, size_t(B) * Hd);
  tanh_backward(ctx, w.dpre_bridge.data(), w.h0.data(), w.dh0.data(), long(B) * Hd);
  zero(w.dlast_h, size_t(B) * D);
  zero(w.dlast_c, size_t(B) * D);
  matmul_backward(ctx, w.dlast_h.data(), grad(bridge_hw_), grad(bridge_hb_), w.dpre_bridge.data(),
                  w.last_h.data(), param(bridge_hw_), B, D, Hd);
  matmul_backward(ctx, w.dlast_c.data(), grad(bridge_cw_), grad(bridge_cb_), w.dc0.data(), w.last_c.data(),
                  param(bridge_cw_), B, D, Hd);
  matmul_backward(ctx, w.dvalues.data(), grad(attn_w_), nullptr, w.dkeys.data(), w.values.data(), param(attn_w_),
                  B * S, D, Hd);
  transpose_bt(ctx, w.dout.data(), w.dvalues.data(), B, S, D);
  // layers top-down; w.dout holds the gradient of the current layer's output
  for (int l = cfg_.enc_layers - 1; l >= 0; l--) {
    seq2seq_enc_layer& L = w.layers[l];
    const size_t n_in = SB * L.C;
    zero(w.dh_fw, SB * He);
    zero(w.dh_bw, SB * He);
    bidir_merge_backward(ctx, w.dh_fw.data(), w.dh_bw.data(), w.dout.data(), len, S, B, He, He);
    const float* dc_fw = nullptr;
    const float* dc_bw = nullptr;
    if (l == cfg_.enc_layers - 1) {   // the final states fed the bridge
      zero(w.dlast_tmp, 4 * size_t(B) * He);
      float* dh_f = w.dlast_tmp.data();   // (4, B, He): dh_fw, dh_bw, dc_fw, dc_bw of the final states
      float* dh_b = dh_f + size_t(B) * He;
      float* dcf = dh_b + size_t(B) * He;
      float* dcb = dcf + size_t(B) * He;
      concat_backward(ctx, dh_f, dh_b, w.dlast_h.data(), B, He, He);
      concat_backward(ctx, dcf, dcb, w.dlast_c.data(), B, He, He);
      seq_last_backward(ctx, w.dh_fw.data(), dh_f, len, S, B, He);
      seq_last_backward(ctx, w.dh_bw.data(), dh_b, len, S, B, He);
      dc_fw = dcf;
      dc_bw = dcb;
    }
    zero(w.din, n_in);
    zero(w.din_rev, n_in);
    const lstm_index& f = enc_fw_[l];
    const lstm_index& r = enc_bw_[l];
    lstm_backward_lengths(ctx, w.din.data(), grad(f.w_ih), grad(f.w_hh), grad(f.b_ih), grad(f.b_hh),
                          w.dh_fw.data(), dc_fw, L.in.data(), param(f.w_ih), param(f.w_hh), L.h_fw.data(),
                          L.c_fw.data(), L.g_fw.data(), len, w.scratch.data(), S, B, L.C, He);
    lstm_backward_lengths(ctx, w.din_rev.data(), grad(r.w_ih), grad(r.w_hh), grad(r.b_ih), grad(r.b_hh),
                          w.dh_bw.data(), dc_bw, L.in_rev.data(), param(r.w_ih), param(r.w_hh), L.h_bw.data(),
                          L.c_bw.data(), L.g_bw.data(), len, w.scratch.data(), S, B, L.C, He);
    seq_reverse_backward(ctx, w.din.data(), w.din_rev.data(), len, S, B, L.C);
    if (l > 0) {
      zero(w.dout, SB * D);
      dropout_backward(ctx, w.dout.data(), w.din.data(), L.drop_mask.data(), long(n_in));
    } else {
      zero(w.dembed, SB * E);
      dropout_backward(ctx, w.dembed.data(), w.din.data(), L.drop_mask.data(), long(n_in));
      embedding_backward(ctx, grad(src_emb_), nullptr, w.dembed.data(), w.src_tm.data(), S, B, E);
    }
  }
}

}  // namespace pluma
