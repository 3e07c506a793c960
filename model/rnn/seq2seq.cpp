// seq2seq: config, size table, initialization and the public training entry points. The forward and
// backward scripts are in seq2seq_train.cpp, decoding in seq2seq_decode.cpp.
#include "model/rnn/seq2seq.h"
#include "model/model_limits.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "model/core/check.h"
#include "model/ops/lstm_lengths.h"
#include "model/rnn/seq2seq_workspace.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

nlohmann::json seq2seq_config_to_json(const seq2seq_config& cfg) {
  return {{"kind", "seq2seq"},           {"src_vocab_size", cfg.src_vocab_size},
          {"vocab_size", cfg.vocab_size}, {"emb", cfg.emb},
          {"enc_hidden", cfg.enc_hidden}, {"enc_layers", cfg.enc_layers},
          {"dec_hidden", cfg.dec_hidden}, {"dropout", std::round(double(cfg.dropout) * 1e6) / 1e6},
          {"space_prefix", cfg.space_prefix}};
}

status seq2seq_config_from_json(const nlohmann::json& j, seq2seq_config& out) {
  if (!j.is_object()) return status::error("seq2seq config is not a JSON object");
  const char* key = j.contains("kind") ? "kind" : "model";   // "model" in checkpoints written before "kind"
  if (!j.contains(key) || j[key] != "seq2seq")
    return status::error("config is not a seq2seq model's (\"kind\" is not \"seq2seq\")");
  seq2seq_config cfg;
  auto get_int = [&](const char* key, int& v) -> status {
    if (!j.contains(key) || !j[key].is_number_integer())
      return status::error(std::string("seq2seq config lacks the integer \"") + key + "\"");
    v = j[key].get<int>();
    return status::ok();
  };
  PLUMA_TRY(get_int("src_vocab_size", cfg.src_vocab_size));
  PLUMA_TRY(get_int("vocab_size", cfg.vocab_size));
  PLUMA_TRY(get_int("emb", cfg.emb));
  PLUMA_TRY(get_int("enc_hidden", cfg.enc_hidden));
  PLUMA_TRY(get_int("enc_layers", cfg.enc_layers));
  PLUMA_TRY(get_int("dec_hidden", cfg.dec_hidden));
  if (!j.contains("dropout") || !j["dropout"].is_number())
    return status::error("seq2seq config lacks the number \"dropout\"");
  cfg.dropout = j["dropout"].get<float>();
  if (j.contains("space_prefix")) {
    if (!j["space_prefix"].is_boolean()) return status::error("seq2seq config's \"space_prefix\" is not true or false");
    cfg.space_prefix = j["space_prefix"].get<bool>();
  }
  PLUMA_TRY(seq2seq_config_validate(cfg));
  out = cfg;
  return status::ok();
}

status seq2seq_config_validate(const seq2seq_config& cfg) {
  auto positive = [](const char* name, int v, int min) -> status {
    if (v < min)
      return status::error(std::string("seq2seq ") + name + " must be at least " + std::to_string(min) +
                           " (got " + std::to_string(v) + ")");
    return status::ok();
  };
  PLUMA_TRY(positive("src_vocab_size", cfg.src_vocab_size, 5));
  PLUMA_TRY(positive("vocab_size", cfg.vocab_size, 5));
  PLUMA_TRY(positive("emb", cfg.emb, 1));
  PLUMA_TRY(positive("enc_hidden", cfg.enc_hidden, 1));
  PLUMA_TRY(positive("enc_layers", cfg.enc_layers, 1));
  PLUMA_TRY(positive("dec_hidden", cfg.dec_hidden, 1));
  if (cfg.enc_layers > max_layers)
    return status::error("--layers " + std::to_string(cfg.enc_layers) + " is more than " + std::to_string(max_layers) +
                         " (the deepest model pluma builds)");
  if (!(cfg.dropout >= 0.0f && cfg.dropout < 1.0f))
    return status::error("seq2seq dropout must be in [0, 1) (got " + std::to_string(cfg.dropout) + ")");
  // Matrices are indexed with 32-bit counts per row block; refuse shapes beyond that (and int overflow).
  // (in double: the products can overflow 64 bits when the fields are hostile)
  const double E = cfg.emb, He = cfg.enc_hidden, Hd = cfg.dec_hidden, limit = 2147483648.0;
  const double wide = std::max({E + Hd, 2 * He + Hd, E}), rows = 4 * std::max(He, Hd);
  const double V = std::max(cfg.src_vocab_size, cfg.vocab_size);
  if (rows * wide >= limit || V * std::max(E, Hd) >= limit)
    return status::error("the model is too large: --embd " + std::to_string(cfg.emb) + ", --hidden " +
                         std::to_string(cfg.enc_hidden) + ", --dec-hidden " + std::to_string(cfg.dec_hidden) +
                         ", vocabulary " + std::to_string(std::max(cfg.src_vocab_size, cfg.vocab_size)));
  return status::ok();
}

int seq2seq_model::add_spec(const std::string& name, std::vector<int64_t> shape, bool decay) {
  specs_.push_back({name, std::move(shape), decay, 0});
  return int(specs_.size()) - 1;
}

seq2seq_model::seq2seq_model(const seq2seq_config& cfg) : cfg_(cfg), ws_(std::make_unique<seq2seq_workspace>()) {
  PLUMA_CHECK(seq2seq_config_validate(cfg).is_ok(), "seq2seq_model: invalid config");
  const int E = cfg.emb, He = cfg.enc_hidden, D = 2 * He, Hd = cfg.dec_hidden;
  src_emb_ = add_spec("src_emb.weight", {cfg.src_vocab_size, E}, true);
  tgt_emb_ = add_spec("tgt_emb.weight", {cfg.vocab_size, E}, true);
  for (int l = 0; l < cfg.enc_layers; l++) {
    const int C = l == 0 ? E : D;
    for (int dir = 0; dir < 2; dir++) {
      const std::string sfx = std::to_string(l) + (dir ? "_reverse" : "");
      lstm_index ix;
      ix.w_ih = add_spec("encoder.weight_ih_l" + sfx, {4 * He, C}, true);
      ix.w_hh = add_spec("encoder.weight_hh_l" + sfx, {4 * He, He}, true);
      ix.b_ih = add_spec("encoder.bias_ih_l" + sfx, {4 * He}, false);
      ix.b_hh = add_spec("encoder.bias_hh_l" + sfx, {4 * He}, false);
      (dir ? enc_bw_ : enc_fw_).push_back(ix);
    }
  }
  bridge_hw_ = add_spec("bridge_h.weight", {Hd, D}, true);
  bridge_hb_ = add_spec("bridge_h.bias", {Hd}, false);
  bridge_cw_ = add_spec("bridge_c.weight", {Hd, D}, true);
  bridge_cb_ = add_spec("bridge_c.bias", {Hd}, false);
  dec_.w_ih = add_spec("dec_cell.weight_ih", {4 * Hd, E + Hd}, true);
  dec_.w_hh = add_spec("dec_cell.weight_hh", {4 * Hd, Hd}, true);
  dec_.b_ih = add_spec("dec_cell.bias_ih", {4 * Hd}, false);
  dec_.b_hh = add_spec("dec_cell.bias_hh", {4 * Hd}, false);
  attn_w_ = add_spec("attn_W.weight", {Hd, D}, true);
  attn_out_ = add_spec("attn_out.weight", {Hd, D + Hd}, true);
  proj_w_ = add_spec("proj.weight", {cfg.vocab_size, Hd}, true);
  proj_b_ = add_spec("proj.bias", {cfg.vocab_size}, false);
  n_floats_ = size_table_layout(specs_);
  for (const auto& s : specs_) n_floats_total_ += s.numel();
}

seq2seq_model::~seq2seq_model() = default;

std::unique_ptr<trainable> seq2seq_model::make_lane() {
  auto lane = std::make_unique<seq2seq_model>(cfg_);
  lane->lane_of_ = lane_of_ ? lane_of_ : this;
  return lane;
}

arena& seq2seq_model::grads() {
  if (grads_.size() != n_floats_) grads_.resize(n_floats_);
  return grads_;
}

void seq2seq_model::init_params(uint64_t seed) {
  PLUMA_CHECK(!lane_of_, "seq2seq: a lane reads its model's parameters and draws none");
  rng gen(seed);
  const int E = cfg_.emb, He = cfg_.enc_hidden, D = 2 * He, Hd = cfg_.dec_hidden;
  auto uniform = [&](int i, double bound) {
    float* p = param(i);
    for (size_t k = 0; k < specs_[i].numel(); k++) p[k] = float((2.0 * gen.uniform_double() - 1.0) * bound);
  };
  for (int i = 0; i < int(specs_.size()); i++) {
    const std::string& name = specs_[i].name;
    if (i == src_emb_ || i == tgt_emb_) {
      float* p = param(i);
      for (size_t k = 0; k < specs_[i].numel(); k++) p[k] = gen.normal();
      for (int k = 0; k < E; k++) p[k] = 0.0f;   // the <pad> row (id 0)
    } else if (name.rfind("encoder.", 0) == 0) {
      uniform(i, 1.0 / std::sqrt(double(He)));
    } else if (name.rfind("dec_cell.", 0) == 0) {
      uniform(i, 1.0 / std::sqrt(double(Hd)));
    } else {   // Linear layers: the bound is 1/sqrt(fan_in) for weight and bias alike
      const int fan_in = i == attn_out_ ? D + Hd : i == proj_w_ || i == proj_b_ ? Hd : D;
      uniform(i, 1.0 / std::sqrt(double(fan_in)));
    }
  }
}

float seq2seq_model::forward_backward(const seq2seq_inputs& in, float label_smoothing, float grad_scale,
                                      rng& dropout_rng) {
  grads();
  seq2seq_loss l = forward(in, label_smoothing, &dropout_rng);
  if (l.tokens == 0) return 0.0f;
  backward(in, label_smoothing, grad_scale);
  return float(l.smoothed / double(l.tokens));
}

seq2seq_loss seq2seq_model::forward_loss(const seq2seq_inputs& in, float label_smoothing) {
  return forward(in, label_smoothing, nullptr);
}

namespace {
seq2seq_inputs inputs_of(const train_batch& b) {
  return {b.B, b.S, b.T, b.src, b.src_len, b.inputs, b.targets};
}
}  // namespace

float seq2seq_model::batch_forward_backward(const train_batch& b, float grad_scale, rng& dropout_rng) {
  return forward_backward(inputs_of(b), label_smoothing(), grad_scale, dropout_rng);
}

loss_total seq2seq_model::batch_loss(const train_batch& b) {
  const seq2seq_loss l = forward_loss(inputs_of(b), label_smoothing());
  return {l.smoothed, l.tokens};
}

void seq2seq_model::forward_logits(const seq2seq_inputs& in, float* logits) {
  seq2seq_inputs no_targets = in;
  no_targets.tgt_out = nullptr;
  forward(no_targets, 0.0f, nullptr);
  const seq2seq_workspace& w = *ws_;
  const long V = cfg_.vocab_size;
  std::fill_n(logits, size_t(in.B) * in.T * V, 0.0f);
  for (int t = 0; t < w.T; t++)   // packed rows back to (B, T, V); padding positions stay zero
    for (int b = 0; b < w.steps_rows[t]; b++)
      std::copy_n(w.logits.data() + size_t(w.steps_off[t] + b) * V, V, logits + (size_t(w.perm[b]) * in.T + t) * V);
}

void seq2seq_workspace_resize(seq2seq_workspace& w, const seq2seq_config& cfg, int B, int S,
                              const std::vector<int>& tgt_len, bool training) {
  const size_t E = cfg.emb, He = cfg.enc_hidden, D = 2 * He, Hd = cfg.dec_hidden, V = cfg.vocab_size;
  const size_t SB = size_t(S) * B;
  PLUMA_CHECK(int(tgt_len.size()) == B && tgt_len[0] >= 1, "seq2seq_workspace_resize: bad target lengths");
  w.B = B, w.S = S, w.T = tgt_len[0];
  w.steps_rows.assign(w.T, 0);
  w.steps_off.assign(w.T + 1, 0);
  for (int t = 0; t < w.T; t++) {
    int rows = 0;
    while (rows < B && tgt_len[rows] > t) rows++;
    PLUMA_CHECK(rows == B || tgt_len[rows] <= t, "seq2seq_workspace_resize: target lengths must not increase");
    w.steps_rows[t] = rows;
    w.steps_off[t + 1] = w.steps_off[t] + rows;
  }
  w.N = w.steps_off[w.T];
  const size_t N = size_t(w.N);
  w.src_tm.resize(SB);
  w.src_len.resize(B);
  w.src_emb.resize(SB * E);
  w.layers.resize(cfg.enc_layers);
  size_t max_c = E;
  for (int l = 0; l < cfg.enc_layers; l++) {
    seq2seq_enc_layer& L = w.layers[l];
    L.C = l == 0 ? int(E) : int(D);
    max_c = std::max(max_c, size_t(L.C));
    L.in.resize(SB * L.C);
    L.in_rev.resize(SB * L.C);
    L.drop_mask.resize(SB * L.C);
    for (auto* v : {&L.h_fw, &L.c_fw, &L.h_bw, &L.c_bw}) v->resize(SB * He);
    L.g_fw.resize(SB * 4 * He);
    L.g_bw.resize(SB * 4 * He);
    L.out.resize(SB * D);
  }
  w.last_h.resize(B * D);
  w.last_c.resize(B * D);
  w.last_tmp.resize(2 * B * He);
  w.h0.resize(B * Hd);
  w.c0.resize(B * Hd);
  w.values.resize(SB * D);
  w.keys.resize(SB * Hd);
  w.tgt_ids.resize(N);
  w.targets.resize(N);
  w.tgt_emb.resize(N * E);
  w.tgt_emb_mask.resize(N * E);
  w.ye.resize(N * E);
  w.w_e.resize(4 * Hd * E);
  w.w_f.resize(4 * Hd * Hd);
  w.w_fh.resize(8 * Hd * Hd);
  w.xf.resize(N * 2 * Hd);
  w.rec.resize(B * 4 * Hd);
  w.hs.resize(N * Hd);
  w.cs.resize(N * Hd);
  w.gates.resize(N * 4 * Hd);
  w.att_probs.resize(N * S);
  w.ctx.resize(B * D);
  w.cats.resize(N * (D + Hd));
  w.pres.resize(N * Hd);
  w.atts.resize(N * Hd);
  w.feed_mask.resize(N * Hd);
  w.feeds.resize(N * Hd);
  w.zeros.assign(B * Hd, 0.0f);
  w.logits.resize(N * V);
  w.probs.resize(N * V);
  w.losses.resize(N);
  w.dlosses.resize(N);
  w.scratch.resize(std::max(lstm_lengths_scratch_floats(S, B, int(He)), lstm_forward_scratch_floats(B, int(He))));
  if (!training) return;
  w.dfeeds.resize(N * Hd);
  w.datt.resize(B * Hd);
  w.dcat.resize(B * (D + Hd));
  w.dctx.resize(B * D);
  w.dh_att.resize(B * Hd);
  w.w_out_t.resize((D + Hd) * Hd);
  w.w_fh_t.resize(8 * Hd * Hd);
  w.dgates.resize(N * 4 * Hd);
  w.dxf.resize(B * 2 * Hd);
  w.dh_carry.resize(B * Hd);
  w.dc_carry.resize(B * Hd);
  w.dw_e.resize(4 * Hd * E);
  w.dw_fh.resize(8 * Hd * Hd);
  w.dw_f.resize(4 * Hd * Hd);
  w.dw_h.resize(4 * Hd * Hd);
  w.dw_ih.resize(4 * Hd * (E + Hd));
  w.db.resize(4 * Hd);
  w.dye.resize(N * E);
  w.dembed.resize(std::max(SB, N) * E);
  w.dh0.resize(B * Hd);
  w.dc0.resize(B * Hd);
  w.dpre_bridge.resize(B * Hd);
  w.dlast_h.resize(B * D);
  w.dlast_c.resize(B * D);
  w.dlast_tmp.resize(4 * B * He);
  w.dkeys.resize(SB * Hd);
  w.dvalues.resize(SB * D);
  w.dout.resize(SB * D);
  w.dh_fw.resize(SB * He);
  w.dh_bw.resize(SB * He);
  w.din.resize(SB * max_c);
  w.din_rev.resize(SB * max_c);
}

void seq2seq_pack_inputs(seq2seq_workspace& w, const seq2seq_config& cfg, const seq2seq_inputs& in, bool training) {
  const int B = in.B, S = in.S, T = in.T;
  std::vector<int> len(B, 1);
  if (in.tgt_in)
    for (int b = 0; b < B; b++) len[b] = int(std::count_if(in.tgt_in + size_t(b) * T, in.tgt_in + size_t(b + 1) * T,
                                                          [](int id) { return id != pad_id; }));
  w.perm.resize(B);
  std::iota(w.perm.begin(), w.perm.end(), 0);
  std::stable_sort(w.perm.begin(), w.perm.end(), [&](int a, int b) { return len[a] > len[b]; });
  std::vector<int> sorted(B);
  for (int b = 0; b < B; b++) sorted[b] = len[w.perm[b]];
  seq2seq_workspace_resize(w, cfg, B, S, sorted, training);
  for (int b = 0; b < B; b++) {
    const int r = w.perm[b];
    w.src_len[b] = in.src_len[r];
    for (int s = 0; s < S; s++) w.src_tm[size_t(s) * B + b] = in.src[size_t(r) * S + s];
  }
  if (!in.tgt_in) return;
  for (int t = 0; t < w.T; t++)
    for (int b = 0; b < w.steps_rows[t]; b++) {
      const size_t from = size_t(w.perm[b]) * T + t, to = size_t(w.steps_off[t] + b);
      w.tgt_ids[to] = in.tgt_in[from];
      if (in.tgt_out) w.targets[to] = in.tgt_out[from] == pad_id ? -1 : in.tgt_out[from];
    }
}

}  // namespace pluma
