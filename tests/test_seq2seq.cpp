// Tests of the seq2seq model: finite-difference checks of the attention op, the sequence ops, the
// length-aware LSTM backward and the whole model (decoder steps included); the PyTorch fixture
// (tests/fixtures/seq2seq_reference.pluma: logits, loss, gradients, greedy and beam decodes); greedy == beam 1.
#include <doctest/doctest.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "generate/beam_search.h"
#include "model/checkpoint.h"
#include "model/core/rng.h"
#include "model/ops/lstm.h"
#include "model/ops/lstm_lengths.h"
#include "model/ops/luong_attention.h"
#include "model/ops/seq_ops.h"
#include "model/rnn/seq2seq.h"
#include "model/rnn/seq2seq_io.h"
#include "tests/grad_diff.h"
#include "tests/threads_scope.h"
#include "tokenizer/tokenizer.h"
#include "train/lanes.h"

using namespace pluma;

namespace {

std::vector<float> random_vec(size_t n, rng& g, float scale = 1.0f) {
  std::vector<float> v(n);
  for (auto& x : v) x = (2.0f * g.uniform() - 1.0f) * scale;
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); i++) s += double(a[i]) * b[i];
  return s;
}

// Central finite differences of f at every element of x, against the analytic gradient g.
// Returns the largest |numeric - analytic| / max(1e-2, |numeric| + |analytic|).
double fd_check(std::vector<float>& x, const std::vector<float>& g, const std::function<double()>& f,
                float eps = 1e-2f, size_t max_checks = 400) {
  double worst = 0;
  const size_t stride = std::max<size_t>(1, x.size() / max_checks);
  for (size_t i = 0; i < x.size(); i += stride) {
    const float keep = x[i];
    x[i] = keep + eps;
    const double up = f();
    x[i] = keep - eps;
    const double down = f();
    x[i] = keep;
    const double num = (up - down) / (2.0 * eps);
    worst = std::max(worst, std::abs(num - g[i]) / std::max(1e-2, std::abs(num) + std::abs(g[i])));
  }
  return worst;
}

}  // namespace

TEST_CASE("luong_attention: probabilities, masking and finite-difference gradients") {
  const int S = 5, B = 3, H = 7, D = 6;
  const int len[B] = {5, 2, 1};
  rng g(7);
  auto query = random_vec(size_t(B) * H, g), keys = random_vec(size_t(S) * B * H, g),
       values = random_vec(size_t(S) * B * D, g), w = random_vec(size_t(B) * D, g);
  std::vector<float> context(size_t(B) * D), probs(size_t(B) * S);
  auto loss = [&]() {
    luong_attention_forward(cpu_context(), context.data(), probs.data(), query.data(), keys.data(), values.data(),
                            len, S, B, H, D);
    return dot(context, w);
  };
  loss();
  for (int b = 0; b < B; b++) {
    double sum = 0;
    for (int s = 0; s < S; s++) {
      sum += probs[b * S + s];
      if (s >= len[b]) CHECK(probs[b * S + s] == 0.0f);
    }
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
  }
  CHECK(context[2 * D + 1] == doctest::Approx(values[2 * S * D + 1]));   // one position: the value itself
  std::vector<float> dq(query.size()), dk(keys.size()), dv(values.size());
  luong_attention_backward(cpu_context(), dq.data(), dk.data(), dv.data(), w.data(), probs.data(), query.data(),
                           keys.data(), values.data(), len, S, B, H, D);
  CHECK(fd_check(query, dq, loss) < 2e-3);
  CHECK(fd_check(keys, dk, loss) < 2e-3);
  CHECK(fd_check(values, dv, loss) < 2e-3);
  for (int s = 2; s < S; s++)   // row 1 has 2 real positions: nothing flows into its padding
    for (int h = 0; h < H; h++) CHECK(dk[(size_t(1) * S + s) * H + h] == 0.0f);
}

TEST_CASE("seq_ops: each backward is the adjoint of its forward") {
  const int T = 4, B = 3, C1 = 2, C2 = 3;
  const int len[B] = {4, 1, 2};
  rng g(3);
  const exec_context& ctx = cpu_context();
  SUBCASE("seq_reverse") {
    auto x = random_vec(size_t(T) * B * C1, g), y = random_vec(x.size(), g);
    std::vector<float> fx(x.size()), by(x.size());
    seq_reverse_forward(ctx, fx.data(), x.data(), len, T, B, C1);
    seq_reverse_backward(ctx, by.data(), y.data(), len, T, B, C1);
    CHECK(dot(fx, y) == doctest::Approx(dot(x, by)));
    CHECK(fx[(0 * B + 2) * C1] == x[(1 * B + 2) * C1]);   // row 2 (length 2): t=0 <- t=1
    CHECK(fx[(2 * B + 2) * C1] == 0.0f);                   // past its length: zero
  }
  SUBCASE("bidir_merge") {
    auto fw = random_vec(size_t(T) * B * C1, g), bw = random_vec(size_t(T) * B * C2, g);
    auto y = random_vec(size_t(T) * B * (C1 + C2), g);
    std::vector<float> out(y.size()), dfw(fw.size()), dbw(bw.size());
    bidir_merge_forward(ctx, out.data(), fw.data(), bw.data(), len, T, B, C1, C2);
    bidir_merge_backward(ctx, dfw.data(), dbw.data(), y.data(), len, T, B, C1, C2);
    CHECK(dot(out, y) == doctest::Approx(dot(fw, dfw) + dot(bw, dbw)));
    CHECK(out[(0 * B + 0) * (C1 + C2) + C1] == bw[(3 * B + 0) * C2]);
  }
  SUBCASE("seq_last, concat, gather_rows, transpose") {
    auto x = random_vec(size_t(T) * B * C1, g), y = random_vec(size_t(B) * C1, g);
    std::vector<float> fx(y.size()), by(x.size());
    seq_last_forward(ctx, fx.data(), x.data(), len, T, B, C1);
    seq_last_backward(ctx, by.data(), y.data(), len, T, B, C1);
    CHECK(dot(fx, y) == doctest::Approx(dot(x, by)));
    CHECK(fx[1 * C1] == x[(0 * B + 1) * C1]);
    auto a = random_vec(size_t(B) * C1, g), b = random_vec(size_t(B) * C2, g), z = random_vec(size_t(B) * (C1 + C2), g);
    std::vector<float> cat(z.size()), da(a.size()), db(b.size());
    concat_forward(ctx, cat.data(), a.data(), b.data(), B, C1, C2);
    concat_backward(ctx, da.data(), db.data(), z.data(), B, C1, C2);
    CHECK(dot(cat, z) == doctest::Approx(dot(a, da) + dot(b, db)));
    const int rows[4] = {2, 0, 2, 1};
    std::vector<float> gathered(size_t(T) * 4 * C1);
    gather_rows(ctx, gathered.data(), x.data(), rows, T, B, 4, C1);
    CHECK(gathered[(1 * 4 + 2) * C1 + 1] == x[(1 * B + 2) * C1 + 1]);
    std::vector<float> tr(x.size());
    transpose_2d(ctx, tr.data(), x.data(), T * B, C1);
    CHECK(tr[1 * (T * B) + 5] == x[5 * C1 + 1]);
  }
}

TEST_CASE("log_softmax_forward: rows of log-probabilities, in place") {
  const int N = 3, V = 1001;
  rng g(5);
  auto x = random_vec(size_t(N) * V, g, 20.0f);
  std::vector<float> y(x.size());
  log_softmax_forward(cpu_context(), y.data(), x.data(), N, V);
  for (int n = 0; n < N; n++) {
    double mx = -1e30, sum = 0;
    for (int v = 0; v < V; v++) mx = std::max(mx, double(x[n * V + v]));
    for (int v = 0; v < V; v++) sum += std::exp(double(x[n * V + v]) - mx);
    const double lse = mx + std::log(sum);
    for (int v = 0; v < V; v += 97) CHECK(y[n * V + v] == doctest::Approx(x[n * V + v] - lse).epsilon(1e-5));
  }
  log_softmax_forward(cpu_context(), x.data(), x.data(), N, V);
  CHECK(x == y);
}

TEST_CASE("lstm_backward_lengths: finite differences, with final cell-state gradients at each row's end") {
  const int T = 5, B = 4, C = 3, H = 4;
  const int len[B] = {5, 2, 2, 4};
  rng g(11);
  auto x = random_vec(size_t(T) * B * C, g), w_ih = random_vec(size_t(4) * H * C, g, 0.6f),
       w_hh = random_vec(size_t(4) * H * H, g, 0.6f), b_ih = random_vec(4 * H, g, 0.3f),
       b_hh = random_vec(4 * H, g, 0.3f);
  auto wh = random_vec(size_t(T) * B * H, g), wc = random_vec(size_t(B) * H, g);
  for (int t = 0; t < T; t++)   // the outputs past a row's end do not count (as with masked attention)
    for (int b = 0; b < B; b++)
      if (t >= len[b]) std::fill_n(wh.begin() + (size_t(t) * B + b) * H, H, 0.0f);
  std::vector<float> h(size_t(T) * B * H), c(h.size()), gates(size_t(T) * B * 4 * H), last_c(size_t(B) * H);
  std::vector<float> scratch(std::max(lstm_lengths_scratch_floats(T, B, H), lstm_forward_scratch_floats(B, H)));
  auto loss = [&]() {   // sum(wh ⊙ h) + sum(wc ⊙ c at each row's last step)
    lstm_forward(cpu_context(), h.data(), c.data(), gates.data(), nullptr, nullptr, x.data(), nullptr, nullptr,
                 w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(), scratch.data(), T, B, C, H);
    seq_last_forward(cpu_context(), last_c.data(), c.data(), len, T, B, H);
    return dot(h, wh) + dot(last_c, wc);
  };
  loss();
  std::vector<float> dx(x.size()), dw_ih(w_ih.size()), dw_hh(w_hh.size()), db_ih(b_ih.size()), db_hh(b_hh.size());
  lstm_backward_lengths(cpu_context(), dx.data(), dw_ih.data(), dw_hh.data(), db_ih.data(), db_hh.data(), wh.data(),
                        wc.data(), x.data(), w_ih.data(), w_hh.data(), h.data(), c.data(), gates.data(), len,
                        scratch.data(), T, B, C, H);
  CHECK(fd_check(x, dx, loss) < 5e-3);
  CHECK(fd_check(w_ih, dw_ih, loss) < 5e-3);
  CHECK(fd_check(w_hh, dw_hh, loss) < 5e-3);
  CHECK(fd_check(b_hh, db_hh, loss) < 5e-3);
  for (int i = 0; i < 4 * H; i++) CHECK(db_ih[i] == db_hh[i]);
  for (int t = 2; t < T; t++)   // rows 1 and 2 end at t = 2: no gradient into their padding inputs
    for (int k = 0; k < C; k++) CHECK(dx[(size_t(t) * B + 1) * C + k] == 0.0f);
}

namespace {

seq2seq_config tiny_config() {
  seq2seq_config cfg;
  cfg.src_vocab_size = 9, cfg.vocab_size = 8, cfg.emb = 4, cfg.enc_hidden = 3, cfg.enc_layers = 2;
  cfg.dec_hidden = 5, cfg.dropout = 0.0f;
  return cfg;
}

// A padded batch with lengths src_lens / tgt_lens (targets get <sos>/<eos>), random ids >= 4.
struct test_batch {
  int B = 0, S = 0, T = 0;
  std::vector<int> src, src_len, tgt_in, tgt_out;
  seq2seq_inputs view() const { return {B, S, T, src.data(), src_len.data(), tgt_in.data(), tgt_out.data()}; }
};

test_batch make_batch(const std::vector<int>& src_lens, const std::vector<int>& tgt_lens, int Vs, int V, rng& g) {
  test_batch tb;
  tb.B = int(src_lens.size());
  tb.S = *std::max_element(src_lens.begin(), src_lens.end());
  tb.T = *std::max_element(tgt_lens.begin(), tgt_lens.end()) + 1;
  tb.src.assign(size_t(tb.B) * tb.S, pad_id);
  tb.tgt_in.assign(size_t(tb.B) * tb.T, pad_id);
  tb.tgt_out.assign(size_t(tb.B) * tb.T, pad_id);
  tb.src_len = src_lens;
  for (int b = 0; b < tb.B; b++) {
    for (int s = 0; s < src_lens[b]; s++) tb.src[size_t(b) * tb.S + s] = 4 + int(g.below(Vs - 4));
    tb.tgt_in[size_t(b) * tb.T] = sos_id;
    for (int t = 0; t < tgt_lens[b]; t++) {
      const int id = 4 + int(g.below(V - 4));
      tb.tgt_in[size_t(b) * tb.T + t + 1] = id;
      tb.tgt_out[size_t(b) * tb.T + t] = id;
    }
    tb.tgt_out[size_t(b) * tb.T + tgt_lens[b]] = eos_id;
  }
  return tb;
}

}  // namespace

TEST_CASE("seq2seq: finite-difference gradients of the whole model (encoder, bridge, decoder steps)") {
  seq2seq_model m(tiny_config());
  m.init_params(5);
  rng g(9);
  const test_batch tb = make_batch({4, 2, 3}, {3, 1, 2}, 9, 8, g);
  const float ls = 0.1f;
  m.grads().zero();
  rng drop(1);
  const float loss = m.forward_backward(tb.view(), ls, 1.0f, drop);
  CHECK(std::isfinite(loss));
  auto eval = [&]() {
    const seq2seq_loss l = m.forward_loss(tb.view(), ls);
    return l.smoothed / double(l.tokens);
  };
  CHECK(eval() == doctest::Approx(loss).epsilon(1e-6));
  for (const tensor_spec& spec : m.param_specs()) {
    std::vector<float> p(m.params().at(spec), m.params().at(spec) + spec.numel());
    std::vector<float> gr(m.grads().at(spec), m.grads().at(spec) + spec.numel());
    auto f = [&]() {
      std::copy(p.begin(), p.end(), m.params().at(spec));
      return eval();
    };
    INFO(spec.name);
    CHECK(fd_check(p, gr, f, 1e-2f, 60) < 2e-2);
    std::copy(p.begin(), p.end(), m.params().at(spec));
  }
}

TEST_CASE("seq2seq: finite-difference gradients with dropout (the same masks in every evaluation)") {
  seq2seq_config cfg = tiny_config();
  cfg.dropout = 0.3f;
  seq2seq_model m(cfg);
  m.init_params(6);
  rng g(10);
  const test_batch tb = make_batch({3, 4, 1}, {2, 3, 4}, 9, 8, g);
  m.grads().zero();
  rng drop(2);
  const float loss = m.forward_backward(tb.view(), 0.1f, 1.0f, drop);
  std::vector<float> grads(m.grads().data(), m.grads().data() + m.grads().size());
  auto train_loss = [&]() {   // forward_backward from the same generator state draws the same masks
    rng same(2);
    return double(m.forward_backward(tb.view(), 0.1f, 1.0f, same));
  };
  CHECK(train_loss() == doctest::Approx(loss).epsilon(1e-6));
  const seq2seq_loss eval = m.forward_loss(tb.view(), 0.1f);
  CHECK(std::abs(eval.smoothed / eval.tokens - loss) > 1e-3);   // the masks made a difference
  for (const tensor_spec& spec : m.param_specs()) {
    std::vector<float> p(m.params().at(spec), m.params().at(spec) + spec.numel());
    std::vector<float> gr(grads.begin() + spec.offset, grads.begin() + spec.offset + spec.numel());
    auto f = [&]() {
      std::copy(p.begin(), p.end(), m.params().at(spec));
      return train_loss();
    };
    INFO(spec.name);
    CHECK(fd_check(p, gr, f, 1e-2f, 40) < 2e-2);
    std::copy(p.begin(), p.end(), m.params().at(spec));
  }
}

namespace {

struct fixture {
  checkpoint ck;
  seq2seq_config cfg;
  nlohmann::json decode;

  const checkpoint_tensor& get(const std::string& name) const {
    const checkpoint_tensor* t = ck.find(name);
    REQUIRE_MESSAGE(t != nullptr, "fixture lacks " << name);
    return *t;
  }
  std::vector<int> ids(const std::string& name) const {
    const checkpoint_tensor& t = get(name);
    REQUIRE(t.dtype == tensor_dtype::i64);
    std::vector<int> out(t.bytes.size() / 8);
    for (size_t i = 0; i < out.size(); i++) {
      int64_t v;
      std::memcpy(&v, t.bytes.data() + 8 * i, 8);
      out[i] = int(v);
    }
    return out;
  }
};

fixture load_fixture() {
  fixture fx;
  const status st = checkpoint_read(PLUMA_SOURCE_DIR "/tests/fixtures/seq2seq_reference.pluma", fx.ck);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  REQUIRE(seq2seq_config_from_json(nlohmann::json::parse(fx.ck.metadata.at("config")), fx.cfg).is_ok());
  fx.decode = nlohmann::json::parse(fx.ck.metadata.at("decode"));
  return fx;
}

void load_params(seq2seq_model& m, const fixture& fx) {
  for (const tensor_spec& spec : m.param_specs()) {
    const checkpoint_tensor& t = fx.get(spec.name);
    REQUIRE(t.shape == spec.shape);
    std::memcpy(m.params().at(spec), t.bytes.data(), spec.numel() * sizeof(float));
  }
}

double max_rel_err(const float* a, const float* b, size_t n, double floor) {
  double worst = 0;
  for (size_t i = 0; i < n; i++) worst = std::max(worst, std::abs(double(a[i]) - b[i]) / (std::abs(double(b[i])) + floor));
  return worst;
}

}  // namespace

TEST_CASE("seq2seq: matches the PyTorch reference (logits, loss, gradients, greedy and beam decodes)") {
  const fixture fx = load_fixture();
  seq2seq_model m(fx.cfg);
  load_params(m, fx);
  const std::vector<int> src = fx.ids("src"), src_len = fx.ids("src_len"), tgt_in = fx.ids("tgt_in"),
                         tgt_out = fx.ids("tgt_out");
  const int B = int(src_len.size()), S = int(src.size()) / B, T = int(tgt_in.size()) / B, V = fx.cfg.vocab_size;
  const seq2seq_inputs in{B, S, T, src.data(), src_len.data(), tgt_in.data(), tgt_out.data()};
  const float ls = fx.decode["label_smoothing"].get<float>();

  std::vector<float> logits(size_t(B) * T * V);
  m.forward_logits(in, logits.data());
  int compared = 0;
  for (int i = 0; i < B * T; i++) {   // the real target positions; padding positions are not computed (zero)
    const float* ref = fx.get("logits").f32() + size_t(i) * V;
    if (tgt_in[i] == pad_id) {
      CHECK(logits[size_t(i) * V] == 0.0f);
      continue;
    }
    CHECK(max_rel_err(logits.data() + size_t(i) * V, ref, V, 1.0) < 1e-5);
    compared++;
  }
  CHECK(compared == 4 + 2 + 5 + 1 + 4);   // the target lengths (with <eos>) of the fixture's batch
  const seq2seq_loss l = m.forward_loss(in, ls);
  CHECK(l.smoothed / l.tokens == doctest::Approx(fx.get("loss").f32()[0]).epsilon(1e-6));
  CHECK(l.nll / l.tokens == doctest::Approx(fx.get("nll").f32()[0]).epsilon(1e-6));

  m.grads().zero();
  rng drop(1);
  const float loss = m.forward_backward(in, ls, 1.0f, drop);
  CHECK(loss == doctest::Approx(fx.get("loss").f32()[0]).epsilon(1e-6));
  for (const tensor_spec& spec : m.param_specs()) {
    const checkpoint_tensor& ref = fx.get("grad." + spec.name);
    INFO(spec.name);
    // relative to the tensor's largest gradient: tiny entries carry float32 rounding of the big ones
    float scale = 0;
    for (size_t i = 0; i < spec.numel(); i++) scale = std::max(scale, std::abs(ref.f32()[i]));
    CHECK(max_rel_err(m.grads().at(spec), ref.f32(), spec.numel(), 1e-3 + scale) < 1e-5);
  }

  std::vector<std::vector<int>> srcs(B);
  for (int b = 0; b < B; b++) srcs[b].assign(src.begin() + size_t(b) * S, src.begin() + size_t(b) * S + src_len[b]);
  decode_config dc;
  dc.max_len_ratio = 0.0f;
  dc.max_len_extra = fx.decode["max_len"].get<int>();
  dc.length_alpha = fx.decode["alpha"].get<float>();
  const int M = dc.max_len_extra;
  auto row_tokens = [](const std::vector<int>& padded, size_t offset, int n) {
    std::vector<int> out;
    for (int i = 0; i < n && padded[offset + i] >= 0; i++) out.push_back(padded[offset + i]);
    return out;
  };
  std::vector<std::vector<translation>> out;
  dc.beam = 1;
  greedy_search(m, srcs, dc, out);
  const std::vector<int> greedy = fx.ids("greedy");
  for (int b = 0; b < B; b++) CHECK(out[b][0].tokens == row_tokens(greedy, size_t(b) * M, M));

  dc.beam = dc.n_best = fx.decode["beam"].get<int>();
  const int K = dc.beam;
  beam_search(m, srcs, dc, out);
  const std::vector<int> beam = fx.ids("beam.tokens");
  const float* scores = fx.get("beam.scores").f32();
  bool some_unfinished = false;
  for (int b = 0; b < B; b++) {
    REQUIRE(int(out[b].size()) == K);
    for (int k = 0; k < K; k++) {
      INFO("sentence " << b << " hypothesis " << k);
      CHECK(out[b][k].tokens == row_tokens(beam, (size_t(b) * K + k) * M, M));
      CHECK(out[b][k].score == doctest::Approx(scores[b * K + k]).epsilon(1e-5));
      some_unfinished = some_unfinished || !out[b][k].finished;
    }
  }
  CHECK(some_unfinished);   // the fixture reaches the length limit somewhere
}

TEST_CASE("seq2seq: greedy equals beam 1; n-best is sorted; attention rows are distributions") {
  seq2seq_config cfg = tiny_config();
  cfg.vocab_size = 12, cfg.enc_layers = 1;
  seq2seq_model m(cfg);
  m.init_params(21);
  for (size_t i = 0; i < m.params().size(); i++) m.params().data()[i] *= 3.0f;   // source-dependent outputs
  rng g(4);
  std::vector<std::vector<int>> srcs;
  for (int n : {3, 1, 6, 0, 4, 2, 5}) {
    std::vector<int> s;
    for (int i = 0; i < n; i++) s.push_back(4 + int(g.below(cfg.src_vocab_size - 4)));
    srcs.push_back(s);
  }
  decode_config dc;
  dc.beam = 1;
  dc.max_len_ratio = 1.0f, dc.max_len_extra = 3;
  dc.keep_attention = true;
  std::vector<std::vector<translation>> greedy, beam1;
  greedy_search(m, srcs, dc, greedy);
  beam_search(m, srcs, dc, beam1);
  bool lengths_differ = false;
  for (size_t i = 0; i < srcs.size(); i++) {
    INFO("sentence " << i);
    REQUIRE(beam1[i].size() == 1);
    CHECK(greedy[i][0].tokens == beam1[i][0].tokens);
    CHECK(greedy[i][0].score == beam1[i][0].score);
    CHECK(greedy[i][0].finished == beam1[i][0].finished);
    CHECK(greedy[i][0].attention == beam1[i][0].attention);
    const int L = std::max<int>(1, int(srcs[i].size()));
    const size_t steps = greedy[i][0].tokens.size() + (greedy[i][0].finished ? 1 : 0);
    REQUIRE(greedy[i][0].attention.size() == steps * L);
    for (size_t t = 0; t < steps; t++) {
      double sum = 0;
      for (int s = 0; s < L; s++) sum += greedy[i][0].attention[t * L + s];
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
    }
    lengths_differ = lengths_differ || greedy[i][0].tokens.size() != greedy[0][0].tokens.size();
  }
  CHECK(lengths_differ);

  dc.beam = 4, dc.n_best = 3;
  std::vector<std::vector<translation>> nbest, batched;
  beam_search(m, srcs, dc, nbest);
  for (size_t i = 0; i < srcs.size(); i++) {
    REQUIRE(nbest[i].size() == 3);
    CHECK(nbest[i][0].score >= nbest[i][1].score);
    CHECK(nbest[i][1].score >= nbest[i][2].score);
    CHECK(nbest[i][0].score >= beam1[i][0].score - 1e-6f);   // a wider beam never finds worse here
  }
  // batching and sorting do not change a sentence's translation
  translate_corpus(m, srcs, dc, 3, nullptr, batched);
  for (size_t i = 0; i < srcs.size(); i++) {
    CHECK(batched[i][0].tokens == nbest[i][0].tokens);
    CHECK(batched[i][0].score == doctest::Approx(nbest[i][0].score).epsilon(1e-5));
  }
}

TEST_CASE("seq2seq: config JSON round trip and validation messages") {
  seq2seq_config cfg = tiny_config();
  seq2seq_config back;
  REQUIRE(seq2seq_config_from_json(seq2seq_config_to_json(cfg), back).is_ok());
  CHECK(back.src_vocab_size == 9);
  CHECK(back.enc_layers == 2);
  CHECK(!back.space_prefix);
  cfg.space_prefix = true;
  REQUIRE(seq2seq_config_from_json(seq2seq_config_to_json(cfg), back).is_ok());
  CHECK(back.space_prefix);
  nlohmann::json j = seq2seq_config_to_json(cfg);
  j.erase("dec_hidden");
  status st = seq2seq_config_from_json(j, back);
  CHECK(st.message() == "seq2seq config lacks the integer \"dec_hidden\"");
  j = seq2seq_config_to_json(cfg);
  j["dropout"] = 1.5;
  CHECK(seq2seq_config_from_json(j, back).message().find("dropout must be in [0, 1)") != std::string::npos);
  j["kind"] = "gpt";
  CHECK(seq2seq_config_from_json(j, back).message().find("not a seq2seq") != std::string::npos);
  decode_config dc;
  dc.n_best = 6;
  CHECK(decode_config_validate(dc).message() == "n-best must be in [1, beam size 5] (got 6)");
}

TEST_CASE("seq2seq checkpoint: round trip with both tokenizers; other models and damaged files are refused") {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("pluma-test-seq2seq-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/src.txt") << "a b c\nc b a\nb b\n";
    std::ofstream(dir + "/tgt.txt") << "x y\ny z z\n";
  }
  tokenizer_train_config tc;
  tc.kind = tokenizer_kind::chars;
  tc.inputs = {dir + "/src.txt"};
  std::unique_ptr<tokenizer> src_tok, tgt_tok;
  REQUIRE(tokenizer_train(tc, src_tok).is_ok());
  tc.inputs = {dir + "/tgt.txt"};
  REQUIRE(tokenizer_train(tc, tgt_tok).is_ok());
  seq2seq_config cfg = tiny_config();
  cfg.src_vocab_size = src_tok->vocab_size(), cfg.vocab_size = tgt_tok->vocab_size();
  seq2seq_model m(cfg);
  m.init_params(3);
  const std::string path = dir + "/m.pluma";
  REQUIRE(seq2seq_save(path, m, *src_tok, *tgt_tok, nlohmann::json{{"step", 7}}).is_ok());

  std::unique_ptr<seq2seq_model> back;
  std::unique_ptr<tokenizer> s2, t2;
  const status st = seq2seq_load(path, back, s2, t2);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  CHECK(back->config().enc_layers == cfg.enc_layers);
  CHECK(std::equal(m.params().data(), m.params().data() + m.params().size(), back->params().data()));
  CHECK(s2->encode("a b") == src_tok->encode("a b"));
  CHECK(t2->decode(t2->encode("x z")) == "x z");
  // the space prefix: " " + text in, the space dropped out; off, the text as is
  CHECK(seq2seq_encode(*s2, "a b", true) == s2->encode(" a b"));
  CHECK(seq2seq_encode(*s2, "a b", false) == s2->encode("a b"));
  CHECK(seq2seq_encode(*s2, "", true).empty());
  CHECK(seq2seq_decode(*s2, s2->encode(" a b"), true) == "a b");
  CHECK(seq2seq_decode(*s2, s2->encode(" a b"), false) == " a b");
  checkpoint ck;
  REQUIRE(checkpoint_read(path, ck).is_ok());
  CHECK(nlohmann::json::parse(ck.metadata.at("training"))["step"] == 7);
  CHECK(nlohmann::json::parse(ck.metadata.at("src_tokenizer"))["vocab_size"] == src_tok->vocab_size());

  checkpoint other = ck;   // a language model's config
  other.metadata["config"] = R"({"kind": "gpt", "vocab_size": 11, "context": 8, "layers": 1, "heads": 1, "embd": 4})";
  CHECK_FALSE(seq2seq_checkpoint_load(other, back, s2, t2).is_ok());
  checkpoint no_src = ck;
  no_src.tensors.erase(std::find_if(no_src.tensors.begin(), no_src.tensors.end(),
                                    [](const checkpoint_tensor& t) { return t.name == "src_tokenizer"; }));
  CHECK(seq2seq_checkpoint_load(no_src, back, s2, t2).message() == "checkpoint carries no src_tokenizer");
  checkpoint no_param = ck;
  no_param.tensors.erase(std::find_if(no_param.tensors.begin(), no_param.tensors.end(),
                                      [](const checkpoint_tensor& t) { return t.name == "proj.bias"; }));
  CHECK(seq2seq_checkpoint_load(no_param, back, s2, t2).message() == "checkpoint lacks tensor proj.bias");
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq lanes: the step is the whole batch's gradient, each lane weighed by its rows' targets") {
  threads_scope threads(2);
  seq2seq_config cfg = tiny_config();
  cfg.emb = 8, cfg.enc_hidden = 6, cfg.dec_hidden = 10;
  seq2seq_model m(cfg);
  m.init_params(3);
  m.set_label_smoothing(0.1f);
  rng g(11);
  const std::vector<int> tgt_lens = {5, 1, 2, 6, 3};   // rows 0-1 (lane 0) score 8 targets, rows 2-4 (lane 1) 14
  const test_batch tb = make_batch({4, 2, 3, 5, 1}, tgt_lens, 9, 8, g);
  std::vector<int> scored;
  for (int n : tgt_lens) scored.push_back(n + 1);
  train_batch b;
  b.B = tb.B, b.T = tb.T, b.S = tb.S;
  b.inputs = tb.tgt_in.data(), b.targets = tb.tgt_out.data(), b.src = tb.src.data(), b.src_len = tb.src_len.data();
  b.tgt_len = scored.data();
  lane_set lanes(m, 2);
  REQUIRE(lanes.count() == 2);
  rng r(5);
  lanes.begin_step();
  const float loss = lanes.forward_backward(b, 0.7f, r);
  lanes.end_step();
  const std::vector<float> got(m.grads().data(), m.grads().data() + m.grads().size());
  m.grads().zero();
  rng r2(5);
  const float whole = m.batch_forward_backward(b, 0.7f, r2);
  CHECK(loss == doctest::Approx(whole).epsilon(1e-5));
  const grad_diff d = grad_diff_of(got.data(), m.grads().data(), got.size());
  CHECK(d.scale > 1e-3);
  CHECK(d.relative() <= 1e-5);
  // the lane reads the model's label smoothing and parameters: a change shows in the next step
  m.set_label_smoothing(0.0f);
  lanes.begin_step();
  const float unsmoothed = lanes.forward_backward(b, 0.7f, r);
  lanes.end_step();
  rng r3(5);
  CHECK(unsmoothed == doctest::Approx(m.batch_forward_backward(b, 0.7f, r3)).epsilon(1e-5));
  CHECK(unsmoothed != doctest::Approx(loss).epsilon(1e-4));
}
