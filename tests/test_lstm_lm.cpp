// The LSTM language model: the PyTorch fixture (logits, final states, loss, every gradient, truncated BPTT,
// 5 Adam steps), finite differences through embedding, 3 layers and the head against a double-precision
// model, decoding against the full forward, the carried state, dropout, config and factory.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "generate/decode_loop.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "model/model_io.h"
#include "model/ops/adamw.h"
#include "model/rnn/lstm_lm.h"
#include "tests/lstm_double.h"

using namespace pluma;
using namespace pluma::test;
using nlohmann::json;

namespace {

const std::string fixture_path = std::string(PLUMA_SOURCE_DIR) + "/tests/fixtures/lstm_reference.pluma";

struct reference {
  checkpoint ck;
  json config, adam;
  int B = 0, T = 0;
  std::vector<int> inputs, targets, inputs2, targets2;   // (B, T)
};

const reference& load_reference() {
  static reference r = [] {
    reference r;
    status st = checkpoint_read(fixture_path, r.ck);
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    r.config = json::parse(r.ck.metadata.at("config"));
    r.adam = json::parse(r.ck.metadata.at("adam"));
    for (auto [name, out] : {std::pair{"inputs", &r.inputs}, std::pair{"targets", &r.targets},
                             std::pair{"inputs2", &r.inputs2}, std::pair{"targets2", &r.targets2}}) {
      const checkpoint_tensor* t = r.ck.find(name);
      REQUIRE(t != nullptr);
      REQUIRE(t->dtype == tensor_dtype::i64);
      REQUIRE(t->shape.size() == 2);
      r.B = static_cast<int>(t->shape[0]);
      r.T = static_cast<int>(t->shape[1]);
      std::vector<int64_t> v(t->bytes.size() / 8);
      std::memcpy(v.data(), t->bytes.data(), t->bytes.size());
      out->assign(v.begin(), v.end());
    }
    return r;
  }();
  return r;
}

std::vector<float> tensor_named(const checkpoint& ck, const std::string& name) {
  const checkpoint_tensor* t = ck.find(name);
  REQUIRE_MESSAGE(t != nullptr, "fixture lacks " << name);
  REQUIRE(t->dtype == tensor_dtype::f32);
  return std::vector<float>(t->f32(), t->f32() + t->bytes.size() / 4);
}

std::vector<float> param_of(lstm_lm& m, const tensor_spec& s) {
  const float* p = m.params().at(s);
  return std::vector<float>(p, p + s.numel());
}

std::vector<float> grad_of(lstm_lm& m, const tensor_spec& s) {
  const float* p = m.grads().at(s);
  return std::vector<float>(p, p + s.numel());
}

lstm_config fixture_config(const reference& r) {
  lstm_config c;
  c.vocab_size = r.config.at("vocab_size");
  c.embd = r.config.at("embd");
  c.hidden = r.config.at("hidden");
  c.layers = r.config.at("layers");
  return c;
}

// A model with the fixture's initial parameters, found by their PyTorch names.
std::unique_ptr<lstm_lm> fixture_model(const reference& r) {
  auto m = std::make_unique<lstm_lm>(fixture_config(r));
  for (const tensor_spec& s : m->param_specs()) {
    const checkpoint_tensor* t = r.ck.find(s.name);
    REQUIRE_MESSAGE(t != nullptr, "fixture lacks " << s.name);
    REQUIRE_MESSAGE(t->shape == s.shape, s.name);
    std::memcpy(m->params().at(s), t->f32(), s.numel() * sizeof(float));
  }
  m->grads().zero();
  return m;
}

}  // namespace

static const char* impl_name(lstm_impl i) { return i == lstm_impl::kernels ? "kernels" : "primitive"; }

static void check_fixture_forward_backward(lstm_impl impl) {
  const reference& r = load_reference();
  auto m = fixture_model(r);
  m->set_impl(impl);
  const int B = r.B, T = r.T, V = m->vocab_size();
  const std::vector<float> h0 = tensor_named(r.ck, "h0"), c0 = tensor_named(r.ck, "c0");

  // inference from (h0, c0), then the next batch from the final state
  std::vector<float> logits(size_t(B) * T * V), h = h0, c = c0;
  float loss = m->forward_stateful(r.inputs.data(), r.targets.data(), B, T, logits.data(), h.data(), c.data());
  CHECK(std::fabs(loss - tensor_named(r.ck, "loss")[0]) < 1e-6);
  CHECK(max_abs_diff(logits, tensor_named(r.ck, "logits")) < 2e-6);
  CHECK(max_abs_diff(h, tensor_named(r.ck, "hT")) < 1e-6);
  CHECK(max_abs_diff(c, tensor_named(r.ck, "cT")) < 1e-6);
  float loss2 = m->forward_stateful(r.inputs2.data(), r.targets2.data(), B, T, nullptr, h.data(), c.data());
  CHECK(std::fabs(loss2 - tensor_named(r.ck, "loss2")[0]) < 1e-6);
  CHECK(max_abs_diff(h, tensor_named(r.ck, "hT2")) < 1e-6);

  // training from (h0, c0): loss, every parameter gradient, the initial state's gradient, the carried state
  m->set_state(h0.data(), c0.data(), B);
  rng drop(1);
  loss = m->forward_backward(r.inputs.data(), r.targets.data(), B, T, 1.0f, drop);
  CHECK(std::fabs(loss - tensor_named(r.ck, "loss")[0]) < 1e-6);
  for (const tensor_spec& s : m->param_specs()) {
    INFO(s.name);
    CHECK(normalized_error(grad_of(*m, s), tensor_named(r.ck, "grad." + s.name)) < 1e-5);
  }
  const size_t state_n = h0.size();
  std::vector<float> dh0(m->initial_state_grad_h(), m->initial_state_grad_h() + state_n);
  std::vector<float> dc0(m->initial_state_grad_c(), m->initial_state_grad_c() + state_n);
  CHECK(normalized_error(dh0, tensor_named(r.ck, "grad.h0")) < 1e-5);
  CHECK(normalized_error(dc0, tensor_named(r.ck, "grad.c0")) < 1e-5);
  REQUIRE(m->state_batch() == B);
  std::vector<float> hs, cs;
  m->get_state(hs, cs);
  CHECK(max_abs_diff(hs, tensor_named(r.ck, "hT")) < 1e-6);
  CHECK(max_abs_diff(cs, tensor_named(r.ck, "cT")) < 1e-6);
  // the next training batch continues from the detached final state
  loss2 = m->forward_backward(r.inputs2.data(), r.targets2.data(), B, T, 1.0f, drop);
  CHECK(std::fabs(loss2 - tensor_named(r.ck, "loss2")[0]) < 1e-6);
  m->get_state(hs, cs);
  CHECK(max_abs_diff(hs, tensor_named(r.ck, "hT2")) < 1e-6);
  CHECK(max_abs_diff(cs, tensor_named(r.ck, "cT2")) < 1e-6);
}

TEST_CASE("LSTM LM matches PyTorch: logits, final state, loss, every gradient, truncated BPTT") {
  for (lstm_impl impl : {lstm_impl::kernels, lstm_impl::primitive}) {
    INFO("impl " << impl_name(impl));
    check_fixture_forward_backward(impl);
  }
}

static void check_fixture_adam(lstm_impl impl) {
  const reference& r = load_reference();
  auto m = fixture_model(r);
  m->set_impl(impl);
  const std::vector<float> h0 = tensor_named(r.ck, "h0"), c0 = tensor_named(r.ck, "c0");
  const std::vector<float> losses = tensor_named(r.ck, "adam.losses");
  const int steps = r.adam.at("steps");
  REQUIRE(int(losses.size()) == steps);
  arena mom1(m->params().size()), mom2(m->params().size());
  adamw_params hp;
  hp.lr = r.adam.at("lr");
  hp.beta1 = r.adam.at("beta1");
  hp.beta2 = r.adam.at("beta2");
  hp.eps = r.adam.at("eps");
  hp.weight_decay = 0.0f;
  rng drop(1);
  for (int step = 1; step <= steps; step++) {
    m->grads().zero();
    m->set_state(h0.data(), c0.data(), r.B);
    float loss = m->forward_backward(r.inputs.data(), r.targets.data(), r.B, r.T, 1.0f, drop);
    CAPTURE(step);
    CHECK(std::fabs(loss - losses[step - 1]) < 2e-6);
    hp.step = step;
    adamw_update(cpu_context(), m->params().data(), m->grads().data(), mom1.data(), mom2.data(),
                 m->params().size(), hp);
  }
  for (const tensor_spec& s : m->param_specs()) {
    INFO(s.name);
    CHECK(normalized_error(param_of(*m, s), tensor_named(r.ck, "adam." + s.name)) < 1e-5);
  }
}

TEST_CASE("LSTM LM matches PyTorch over 5 Adam steps") {
  for (lstm_impl impl : {lstm_impl::kernels, lstm_impl::primitive}) {
    INFO("impl " << impl_name(impl));
    check_fixture_adam(impl);
  }
}

namespace {

// The whole LM in double: mean cross-entropy of (B, T) targets from the initial state (h0, c0) (L, B, H).
struct double_lm {
  lstm_config cfg;
  std::vector<dvec> params;   // in size-table order
  dvec h0, c0;
  double loss(const std::vector<tensor_spec>& specs, const std::vector<int>& in, const std::vector<int>& tg,
              int B, int T) const {
    const int E = cfg.embd, H = cfg.hidden, V = cfg.vocab_size;
    auto p = [&](const std::string& name) -> const dvec& {
      for (size_t i = 0; i < specs.size(); i++)
        if (specs[i].name == name) return params[i];
      FAIL("no parameter " << name);
      return params[0];
    };
    dvec x(size_t(T) * B * E);   // time-major
    for (int t = 0; t < T; t++)
      for (int b = 0; b < B; b++)
        for (int e = 0; e < E; e++) x[(size_t(t) * B + b) * E + e] = p("emb.weight")[size_t(in[b * T + t]) * E + e];
    int C = E;
    const size_t BH = size_t(B) * H;
    for (int l = 0; l < cfg.layers; l++) {
      const std::string s = std::to_string(l);
      dvec h, hT, cT;
      lstm_layer_double(h, hT, cT, x, dvec(h0.begin() + l * BH, h0.begin() + (l + 1) * BH),
                        dvec(c0.begin() + l * BH, c0.begin() + (l + 1) * BH), p("lstm.weight_ih_l" + s),
                        p("lstm.weight_hh_l" + s), p("lstm.bias_ih_l" + s), p("lstm.bias_hh_l" + s), T, B, C, H);
      x = h;
      C = H;
    }
    const dvec& hw = cfg.tie_weights ? p("emb.weight") : p("head.weight");
    const dvec& hb = p("head.bias");
    double total = 0;
    for (int t = 0; t < T; t++) {
      for (int b = 0; b < B; b++) {
        const double* xr = &x[(size_t(t) * B + b) * H];
        dvec z(V);
        double mx = -1e300;
        for (int v = 0; v < V; v++) {
          z[v] = hb[v];
          for (int j = 0; j < H; j++) z[v] += hw[size_t(v) * H + j] * xr[j];
          mx = std::max(mx, z[v]);
        }
        double se = 0;
        for (int v = 0; v < V; v++) se += std::exp(z[v] - mx);
        total += mx + std::log(se) - z[tg[b * T + t]];
      }
    }
    return total / (B * T);
  }
};

void randomize(lstm_lm& m, uint64_t seed, float scale) {
  rng g(seed);
  for (const tensor_spec& s : m.param_specs()) {
    float* p = m.params().at(s);
    for (size_t i = 0; i < s.numel(); i++) p[i] = scale * (2.0f * g.uniform() - 1.0f);
  }
}

std::vector<int> random_tokens(size_t n, int V, uint64_t seed) {
  rng g(seed);
  std::vector<int> t(n);
  for (auto& x : t) x = static_cast<int>(g.below(V));
  return t;
}

}  // namespace

TEST_CASE("LSTM LM gradients match finite differences through 3 layers, untied and tied") {
  for (bool tie : {false, true}) {
    CAPTURE(tie);
    const lstm_impl impl = tie ? lstm_impl::primitive : lstm_impl::kernels;   // each implementation once
    INFO("impl " << impl_name(impl));
    lstm_config cfg;
    cfg.vocab_size = 7, cfg.embd = tie ? 6 : 5, cfg.hidden = 6, cfg.layers = 3, cfg.tie_weights = tie;
    const int B = 2, T = 5;
    lstm_lm m(cfg);
    m.set_impl(impl);
    randomize(m, 3, 0.6f);
    m.grads().zero();
    rng g(4);
    const std::vector<float> h0 = random_floats(g, size_t(cfg.layers) * B * cfg.hidden, 0.5f);
    const std::vector<float> c0 = random_floats(g, h0.size(), 0.5f);
    const std::vector<int> in = random_tokens(size_t(B) * T, cfg.vocab_size, 5);
    const std::vector<int> tg = random_tokens(size_t(B) * T, cfg.vocab_size, 6);
    m.set_state(h0.data(), c0.data(), B);
    rng drop(1);
    const float scale = 0.5f;   // gradients are of grad_scale * loss
    float loss = m.forward_backward(in.data(), tg.data(), B, T, scale, drop);

    double_lm d{cfg, {}, to_double(h0), to_double(c0)};
    for (const tensor_spec& s : m.param_specs()) d.params.push_back(to_double(param_of(m, s)));
    CHECK(std::fabs(loss - d.loss(m.param_specs(), in, tg, B, T)) < 2e-6);
    auto f = [&] { return scale * d.loss(m.param_specs(), in, tg, B, T); };
    for (size_t i = 0; i < m.param_specs().size(); i++) {
      INFO(m.param_specs()[i].name);
      CHECK(normalized_error(grad_of(m, m.param_specs()[i]), numerical_gradient(d.params[i], f)) < 1e-5);
    }
    std::vector<float> dh0(m.initial_state_grad_h(), m.initial_state_grad_h() + h0.size());
    std::vector<float> dc0(m.initial_state_grad_c(), m.initial_state_grad_c() + c0.size());
    CHECK(normalized_error(dh0, numerical_gradient(d.h0, f)) < 1e-5);
    CHECK(normalized_error(dc0, numerical_gradient(d.c0, f)) < 1e-5);
  }
}

TEST_CASE("LSTM LM decode_step equals forward_logits position by position") {
  // embd 7 < vocab 11: the first layer multiplies its input; embd 12: it reads its input table (V <= E)
  for (int embd : {7, 12}) {
    CAPTURE(embd);
    lstm_config cfg;
    cfg.vocab_size = 11, cfg.embd = embd, cfg.hidden = 9, cfg.layers = 2;
    lstm_lm m(cfg);
    m.init_params(8);
    const int B = 3, T = 7, V = cfg.vocab_size;
    const std::vector<int> in = random_tokens(size_t(B) * T, V, 9);
    std::vector<float> full(size_t(B) * T * V);
    m.forward_logits(in.data(), B, T, full.data());
    auto st = m.decode_begin(B);
    std::vector<int> tok(B);
    std::vector<float> step(size_t(B) * V);
    for (int t = 0; t < T; t++) {
      for (int b = 0; b < B; b++) tok[b] = in[b * T + t];
      m.decode_step(*st, tok.data(), step.data());
      CHECK(st->position == t + 1);
      for (int b = 0; b < B; b++) {
        CAPTURE(t);
        CAPTURE(b);
        std::vector<float> want(full.begin() + (size_t(b) * T + t) * V, full.begin() + (size_t(b) * T + t + 1) * V);
        std::vector<float> got(step.begin() + size_t(b) * V, step.begin() + size_t(b + 1) * V);
        CHECK(max_abs_diff(got, want) < 1e-5);
      }
    }
  }
}

TEST_CASE("LSTM LM carries the state across training batches only with carry_state") {
  for (bool carry : {true, false}) {
    CAPTURE(carry);
    lstm_config cfg;
    cfg.vocab_size = 9, cfg.embd = 4, cfg.hidden = 5, cfg.layers = 2, cfg.carry_state = carry;
    lstm_lm m(cfg);
    m.init_params(10);
    const int B = 2, T = 4;
    const std::vector<int> a = random_tokens(size_t(B) * T, 9, 11), b = random_tokens(size_t(B) * T, 9, 12);
    rng drop(1);
    CHECK(m.state_batch() == 0);
    const float la = m.forward_backward(a.data(), b.data(), B, T, 1.0f, drop);
    CHECK(la == doctest::Approx(m.forward_loss(a.data(), b.data(), B, T)).epsilon(1e-6));   // began from zeros
    CHECK(m.state_batch() == (carry ? B : 0));
    // the state after batch a, by inference
    std::vector<float> h(size_t(cfg.layers) * B * cfg.hidden, 0.0f), c = h;
    m.forward_stateful(a.data(), nullptr, B, T, nullptr, h.data(), c.data());
    const float from_state = m.forward_stateful(b.data(), a.data(), B, T, nullptr, h.data(), c.data());
    const float from_zero = m.forward_loss(b.data(), a.data(), B, T);
    REQUIRE(std::fabs(from_state - from_zero) > 1e-4);   // the state matters
    const float lb = m.forward_backward(b.data(), a.data(), B, T, 1.0f, drop);
    CHECK(lb == doctest::Approx(carry ? from_state : from_zero).epsilon(1e-6));
    m.reset_state();
    CHECK(m.state_batch() == 0);
    CHECK(m.forward_backward(b.data(), a.data(), B, T, 1.0f, drop) == doctest::Approx(from_zero).epsilon(1e-6));
    // a different batch size starts from zeros
    if (carry) {
      const float l3 = m.forward_backward(a.data(), b.data(), 1, T, 1.0f, drop);
      CHECK(l3 == doctest::Approx(m.forward_loss(a.data(), b.data(), 1, T)).epsilon(1e-6));
    }
  }
}

TEST_CASE("LSTM LM dropout: masks in training only, gradients through them match finite differences") {
  lstm_config cfg;
  cfg.vocab_size = 8, cfg.embd = 5, cfg.hidden = 6, cfg.layers = 2, cfg.dropout = 0.3f, cfg.carry_state = false;
  lstm_lm m(cfg);
  randomize(m, 13, 0.8f);
  const int B = 2, T = 4;
  const std::vector<int> in = random_tokens(size_t(B) * T, 8, 14), tg = random_tokens(size_t(B) * T, 8, 15);
  lstm_config plain = cfg;
  plain.dropout = 0.0f;
  lstm_lm m0(plain);
  std::memcpy(m0.params().data(), m.params().data(), m.params().size() * sizeof(float));
  const float eval = m.forward_loss(in.data(), tg.data(), B, T);
  CHECK(eval == m0.forward_loss(in.data(), tg.data(), B, T));   // no dropout in evaluation
  m.grads().zero();
  rng drop(16);
  const float train = m.forward_backward(in.data(), tg.data(), B, T, 1.0f, drop);
  CHECK(std::fabs(train - eval) > 1e-4);   // dropout changed the training loss

  // central differences in float with the same masks (the same rng seed each time), a few coordinates
  // of every tensor
  std::vector<float> analytic(m.grads().data(), m.grads().data() + m.grads().size());
  lstm_lm probe(cfg);
  std::memcpy(probe.params().data(), m.params().data(), m.params().size() * sizeof(float));
  auto loss_at = [&] {
    rng same(16);
    probe.grads().zero();
    return double(probe.forward_backward(in.data(), tg.data(), B, T, 1.0f, same));
  };
  for (const tensor_spec& s : m.param_specs()) {
    for (size_t k = 0; k < s.numel(); k += 1 + s.numel() / 5) {
      float* p = probe.params().at(s) + k;
      const float keep = *p, eps = 1e-2f;
      *p = keep + eps;
      const double up = loss_at();
      *p = keep - eps;
      const double down = loss_at();
      *p = keep;
      const double num = (up - down) / (2 * eps), ana = analytic[s.offset + k];
      INFO(s.name << "[" << k << "] analytic " << ana << " numerical " << num);
      CHECK(std::fabs(num - ana) < 2e-3 + 2e-2 * std::fabs(ana));
    }
  }
}

TEST_CASE("LSTM LM on the own kernels and on the oneDNN primitive agree, with dropout and carried state") {
  lstm_config cfg;
  cfg.vocab_size = 23, cfg.embd = 16, cfg.hidden = 24, cfg.layers = 3, cfg.dropout = 0.2f;
  lstm_lm a(cfg), b(cfg);
  a.set_impl(lstm_impl::kernels);
  b.set_impl(lstm_impl::primitive);
  a.init_params(17);
  std::memcpy(b.params().data(), a.params().data(), a.params().size() * sizeof(float));
  const int B = 4, T = 9;
  a.grads().zero(), b.grads().zero();
  rng da(18), db(18);
  for (int batch = 0; batch < 3; batch++) {   // the second and third start from the carried state
    const std::vector<int> in = random_tokens(size_t(B) * T, 23, 19 + batch), tg = random_tokens(in.size(), 23, 29 + batch);
    CAPTURE(batch);
    const float la = a.forward_backward(in.data(), tg.data(), B, T, 1.0f, da);
    const float lb = b.forward_backward(in.data(), tg.data(), B, T, 1.0f, db);
    CHECK(la == doctest::Approx(lb).epsilon(1e-6));
    CHECK(a.forward_loss(in.data(), tg.data(), B, T) == doctest::Approx(b.forward_loss(in.data(), tg.data(), B, T)).epsilon(1e-6));
  }
  for (const tensor_spec& s : a.param_specs()) {
    INFO(s.name);
    CHECK(normalized_error(grad_of(a, s), grad_of(b, s)) < 1e-5);
  }
  std::vector<float> ha, ca, hb, cb;
  a.get_state(ha, ca), b.get_state(hb, cb);
  CHECK(max_abs_diff(ha, hb) < 1e-5);
  CHECK(max_abs_diff(ca, cb) < 1e-5);
}

TEST_CASE("LSTM LM init follows PyTorch's defaults, deterministic by seed") {
  lstm_config cfg;
  cfg.vocab_size = 500, cfg.embd = 40, cfg.hidden = 64, cfg.layers = 2;   // 20000 embedding values
  lstm_lm a(cfg), b(cfg), c(cfg);
  a.init_params(1), b.init_params(1), c.init_params(2);
  CHECK(std::memcmp(a.params().data(), b.params().data(), a.params().size() * sizeof(float)) == 0);
  CHECK(std::memcmp(a.params().data(), c.params().data(), a.params().size() * sizeof(float)) != 0);
  for (const tensor_spec& s : a.param_specs()) {
    std::vector<float> v = param_of(a, s);
    double sum = 0, sq = 0, mx = 0;
    for (float x : v) sum += x, sq += double(x) * x, mx = std::max(mx, double(std::fabs(x)));
    const double mean = sum / v.size(), sd = std::sqrt(sq / v.size() - mean * mean);
    INFO(s.name);
    if (s.name == "emb.weight") {
      CHECK(std::fabs(mean) < 0.03);
      CHECK(std::fabs(sd - 1.0) < 0.03);
    } else {
      CHECK(mx <= 1.0 / 8.0);                                    // U(-1/sqrt(H), 1/sqrt(H)), H = 64
      CHECK(std::fabs(sd - 1.0 / 8.0 / std::sqrt(3.0)) < 0.01);  // its standard deviation
    }
  }
}

TEST_CASE("LSTM LM config: names, JSON round trip, factory, validation messages") {
  lstm_config cfg;
  cfg.vocab_size = 65, cfg.embd = 32, cfg.hidden = 48, cfg.layers = 3, cfg.dropout = 0.25f;
  cfg.carry_state = false;
  lstm_lm m(cfg);
  std::vector<std::string> names;
  for (const tensor_spec& s : m.param_specs()) names.push_back(s.name);
  CHECK(names.size() == 1 + 4 * 3 + 2);
  CHECK(names.front() == "emb.weight");
  CHECK(names[1] == "lstm.weight_ih_l0");
  CHECK(names[12] == "lstm.bias_hh_l2");
  CHECK(names.back() == "head.bias");
  CHECK(m.param_specs()[1].shape == std::vector<int64_t>{4 * 48, 32});
  CHECK(m.param_specs()[5].shape == std::vector<int64_t>{4 * 48, 48});
  CHECK(m.context_length() == 0);

  std::unique_ptr<lm_model> built;
  REQUIRE(model_create(m.config_json(), built).is_ok());
  REQUIRE(built->kind() == model_kind::lstm);
  CHECK(built->config_json() == m.config_json());
  auto* l = dynamic_cast<lstm_lm*>(built.get());
  REQUIRE(l != nullptr);
  CHECK(l->config().dropout == 0.25f);
  CHECK(l->config().carry_state == false);

  lstm_config tied = cfg;
  tied.tie_weights = true;
  status st = lstm_config_validate(tied);
  CHECK(st.message() == "tied weights need --embd equal to --hidden (got 32 and 48)");
  tied.embd = 48;
  CHECK(lstm_config_validate(tied).is_ok());
  CHECK(lstm_lm(tied).param_specs().size() == 1 + 4 * 3 + 1);   // no head.weight

  json j = m.config_json();
  j["dropout"] = 1.0;
  st = model_create(j, built);
  CHECK(st.message() == "--dropout must be in [0, 1) (got 1.000000)");
  j = m.config_json();
  j.erase("hidden");
  CHECK(model_create(j, built).message() == "lstm config lacks \"hidden\"");
  j = m.config_json();
  j["carry_state"] = "yes";
  CHECK(model_create(j, built).message() == "lstm config \"carry_state\" is not true or false: \"yes\"");
  CHECK(m.training_bytes(32, 64) > m.training_bytes(16, 64));
}

TEST_CASE("LSTM LM in a .pluma checkpoint: written, read back, and decoded by the generation loop") {
  const std::string corpus = "/tmp/pluma_test_lstm_lm_corpus.txt", path = "/tmp/pluma_test_lstm_lm.pluma";
  std::ofstream(corpus) << "the quick brown fox jumps over the lazy dog.\nTHE END\n";
  tokenizer_train_config tc;
  tc.inputs = {corpus};
  std::unique_ptr<tokenizer> tok;
  REQUIRE(tokenizer_train(tc, tok).is_ok());
  lstm_config cfg;
  cfg.vocab_size = tok->vocab_size(), cfg.embd = 12, cfg.hidden = 12, cfg.layers = 2, cfg.tie_weights = true;
  lstm_lm m(cfg);
  m.init_params(21);
  checkpoint ck;
  checkpoint_add_model(ck, m, *tok);
  REQUIRE(checkpoint_write(path, ck).is_ok());

  std::unique_ptr<lm_model> back;
  std::unique_ptr<tokenizer> tok_back;
  status st = model_load(path, back, tok_back);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  std::remove(path.c_str());
  std::remove(corpus.c_str());
  REQUIRE(back->kind() == model_kind::lstm);
  CHECK(back->config_json() == m.config_json());
  REQUIRE(back->params().size() == m.params().size());
  CHECK(std::memcmp(back->params().data(), m.params().data(), m.params().size() * sizeof(float)) == 0);

  // the generation loop's decoder over the reloaded model gives the full forward's logits
  const std::vector<int> ids = tok->encode("the lazy fox");
  const int T = int(ids.size()), V = m.vocab_size();
  std::vector<float> full(size_t(T) * V);
  m.forward_logits(ids.data(), 1, T, full.data());
  decoder dec(*back);
  for (int t = 0; t < T; t++) {
    dec.feed(ids[t]);
    CAPTURE(t);
    CHECK(max_abs_diff(dec.logits(), std::vector<float>(full.begin() + size_t(t) * V, full.begin() + size_t(t + 1) * V)) < 1e-5);
  }
}
