// seq2seq: incremental decoding (greedy, beam, sampling all step through decode_step).
#include <algorithm>
#include <vector>

#include "model/core/check.h"
#include "model/core/exec.h"
#include "model/ops/embedding.h"
#include "model/ops/lstm.h"
#include "model/ops/luong_attention.h"
#include "model/ops/matmul.h"
#include "model/ops/seq_ops.h"
#include "model/rnn/seq2seq.h"
#include "model/rnn/seq2seq_workspace.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

void seq2seq_model::decode_begin(const int* src, const int* src_len, int B, int S, int beams,
                                 seq2seq_decoder_state& st) {
  PLUMA_CHECK(B > 0 && S > 0 && beams > 0, "decode_begin: empty batch");
  const exec_context& ctx = exec();
  const int E = cfg_.emb, D = 2 * cfg_.enc_hidden, Hd = cfg_.dec_hidden;
  seq2seq_workspace& w = *ws_;
  seq2seq_pack_inputs(w, cfg_, {B, S, 1, src, src_len, nullptr, nullptr}, false);   // rows stay in order
  encoder_forward(w, nullptr);

  const int R = B * beams;
  std::vector<int> sentence(R);   // (R) row -> sentence
  for (int r = 0; r < R; r++) sentence[r] = r / beams;
  st.R = R, st.S = S, st.beams = beams;
  st.src_len.resize(R);
  for (int r = 0; r < R; r++) st.src_len[r] = src_len[sentence[r]];
  st.keys.resize(size_t(R) * S * Hd);
  st.values.resize(size_t(R) * S * D);
  st.h.resize(size_t(R) * Hd);
  st.c.resize(size_t(R) * Hd);
  st.feed.assign(size_t(R) * Hd, 0.0f);
  gather_rows(ctx, st.keys.data(), w.keys.data(), sentence.data(), 1, B, R, S * Hd);
  gather_rows(ctx, st.values.data(), w.values.data(), sentence.data(), 1, B, R, S * D);
  gather_rows(ctx, st.h.data(), w.h0.data(), sentence.data(), 1, B, R, Hd);
  gather_rows(ctx, st.c.data(), w.c0.data(), sentence.data(), 1, B, R, Hd);
  st.emb.resize(size_t(R) * E);
  st.x.resize(size_t(R) * (E + Hd));
  st.ctx.resize(size_t(R) * D);
  st.cat.resize(size_t(R) * (D + Hd));
  st.pre.resize(size_t(R) * Hd);
  st.probs.resize(size_t(R) * S);
  st.gather.resize(size_t(R) * Hd);
  st.lstm_scratch.resize(lstm_step_scratch_floats(R, Hd));
}

void seq2seq_model::decode_step(seq2seq_decoder_state& st, const int* tokens, float* logits, float* attention) {
  const exec_context& ctx = exec();
  const int R = st.R, S = st.S, E = cfg_.emb, D = 2 * cfg_.enc_hidden, Hd = cfg_.dec_hidden;
  embedding_forward(ctx, st.emb.data(), tokens, param(tgt_emb_), nullptr, 1, R, E);
  concat_forward(ctx, st.x.data(), st.emb.data(), st.feed.data(), R, E, Hd);
  lstm_step(ctx, st.h.data(), st.c.data(), st.x.data(), st.h.data(), st.c.data(), param(dec_.w_ih),
            param(dec_.w_hh), param(dec_.b_ih), param(dec_.b_hh), st.lstm_scratch.data(), R, E + Hd, Hd);
  luong_attention_forward(ctx, st.ctx.data(), st.probs.data(), st.h.data(), st.keys.data(), st.values.data(),
                          st.src_len.data(), S, R, Hd, D);
  concat_forward(ctx, st.cat.data(), st.ctx.data(), st.h.data(), R, D, Hd);
  matmul_forward(ctx, st.pre.data(), st.cat.data(), param(attn_out_), nullptr, R, D + Hd, Hd);
  tanh_forward(ctx, st.feed.data(), st.pre.data(), long(R) * Hd);
  matmul_forward(ctx, logits, st.feed.data(), param(proj_w_), param(proj_b_), R, Hd, cfg_.vocab_size);
  if (attention) std::copy_n(st.probs.data(), size_t(R) * S, attention);
}

void seq2seq_model::decode_select(seq2seq_decoder_state& st, const int* rows) {
  const exec_context& ctx = exec();
  const int R = st.R, Hd = cfg_.dec_hidden;
  for (int r = 0; r < R; r++)
    PLUMA_CHECK(rows[r] / st.beams == r / st.beams, "decode_select: a row may only continue its own sentence");
  for (auto* v : {&st.h, &st.c, &st.feed}) {
    gather_rows(ctx, st.gather.data(), v->data(), rows, 1, R, R, Hd);
    v->swap(st.gather);
  }
}

void seq2seq_model::decode_keep(seq2seq_decoder_state& st, const std::vector<int>& sentences) {
  const exec_context& ctx = exec();
  const int K = st.beams, R = int(sentences.size()) * K, S = st.S;
  const int D = 2 * cfg_.enc_hidden, Hd = cfg_.dec_hidden;
  std::vector<int> rows(R);
  for (int i = 0; i < int(sentences.size()); i++) {
    PLUMA_CHECK(sentences[i] >= 0 && sentences[i] * K < st.R && (i == 0 || sentences[i] > sentences[i - 1]),
                "decode_keep: sentence slots must be ascending and in range");
    for (int k = 0; k < K; k++) rows[i * K + k] = sentences[i] * K + k;
  }
  auto keep = [&](std::vector<float>& v, int C) {
    std::vector<float> kept(size_t(R) * C);
    gather_rows(ctx, kept.data(), v.data(), rows.data(), 1, st.R, R, C);
    v.swap(kept);
  };
  keep(st.keys, S * Hd);
  keep(st.values, S * D);
  keep(st.h, Hd);
  keep(st.c, Hd);
  keep(st.feed, Hd);
  std::vector<int> len(R);
  for (int r = 0; r < R; r++) len[r] = st.src_len[rows[r]];
  st.src_len.swap(len);
  st.R = R;
}

}  // namespace pluma
