// The GPT against the PyTorch reference fixture (logits, loss, every gradient, 10 AdamW steps), plus config
// validation, KV-cache decoding against the full forward, dropout gradients and determinism.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "model/gpt/gpt.h"
#include "model/model.h"
#include "model/ops/adamw.h"
#include "model/ops/matmul.h"

using namespace pluma;
using nlohmann::json;

namespace {

const std::string fixture_path = std::string(PLUMA_SOURCE_DIR) + "/tests/fixtures/gpt_reference.pluma";

struct reference {
  checkpoint ck;
  json config, adamw;
  int B = 0, T = 0;
  std::vector<int> inputs, targets;   // (B, T)
};

const reference& load_reference() {
  static reference r = [] {
    reference r;
    status st = checkpoint_read(fixture_path, r.ck);
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    r.config = json::parse(r.ck.metadata.at("config"));
    r.adamw = json::parse(r.ck.metadata.at("adamw"));
    for (auto [name, out] : {std::pair{"inputs", &r.inputs}, std::pair{"targets", &r.targets}}) {
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

const checkpoint_tensor& tensor_named(const checkpoint& ck, const std::string& name) {
  const checkpoint_tensor* t = ck.find(name);
  REQUIRE_MESSAGE(t != nullptr, "fixture lacks " << name);
  REQUIRE(t->dtype == tensor_dtype::f32);
  return *t;
}

// Copies every parameter, by its size-table name (with a prefix), from ck into m.
void load_params(lm_model& m, const checkpoint& ck, const std::string& prefix) {
  for (const tensor_spec& s : m.param_specs()) {
    const checkpoint_tensor& t = tensor_named(ck, prefix + s.name);
    REQUIRE_MESSAGE(t.shape == s.shape, s.name);
    std::memcpy(m.params().at(s), t.f32(), s.numel() * sizeof(float));
  }
}

float hp_lr(const reference& r) { return r.adamw.at("lr").get<float>(); }

std::unique_ptr<lm_model> make_model(const json& config) {
  std::unique_ptr<lm_model> m;
  status st = model_create(config, m);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  return m;
}

// max |a - b| / max |ref|
double max_rel_err(const float* a, const float* ref, size_t n) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < n; i++) {
    err = std::max(err, std::fabs(double(a[i]) - ref[i]));
    scale = std::max(scale, std::fabs(double(ref[i])));
  }
  return err / std::max(scale, 1e-30);
}

// ||a - b|| / ||ref|| (L2)
double norm_err(const float* a, const float* ref, size_t n) {
  double d = 0, r = 0;
  for (size_t i = 0; i < n; i++) {
    d += (double(a[i]) - ref[i]) * (double(a[i]) - ref[i]);
    r += double(ref[i]) * ref[i];
  }
  return std::sqrt(d) / std::max(std::sqrt(r), 1e-30);
}

gpt_config small_config(int V = 13, int context = 9, int L = 2, int NH = 3, int C = 12, float dropout = 0.0f,
                        bool bias = true) {
  gpt_config c;
  c.vocab_size = V;
  c.context = context;
  c.layers = L;
  c.heads = NH;
  c.embd = C;
  c.dropout = dropout;
  c.bias = bias;
  return c;
}

// Random tokens in [0, V).
std::vector<int> random_tokens(size_t n, int V, uint64_t seed) {
  rng g(seed);
  std::vector<int> t(n);
  for (auto& x : t) x = static_cast<int>(g.below(V));
  return t;
}

// Random parameters of a larger scale than the init, so attention is far from uniform.
void randomize_params(lm_model& m, uint64_t seed, float scale) {
  rng g(seed);
  arena& p = m.params();
  for (size_t i = 0; i < p.size(); i++) p.data()[i] = scale * g.normal();
}

}  // namespace

TEST_CASE("gpt size table has the PyTorch parameter names, in named_parameters() order") {
  const reference& r = load_reference();
  auto m = make_model(r.config);
  std::vector<std::string> fixture_names;
  for (const auto& t : r.ck.tensors)
    if (t.name.find('/') == std::string::npos && t.dtype == tensor_dtype::f32 && t.name != "logits" &&
        t.name != "loss")
      fixture_names.push_back(t.name);
  std::vector<std::string> names;
  for (const auto& s : m->param_specs()) {
    names.push_back(s.name);
    CHECK_MESSAGE(s.decay == (s.shape.size() >= 2), s.name);   // decay on matrices and embeddings only
  }
  CHECK(names == fixture_names);
  CHECK(names.front() == "wte.weight");
  CHECK(names.back() == "ln_f.bias");

  gpt_model nb(small_config(11, 8, 2, 2, 12, 0.0f, /*bias=*/false));
  CHECK(nb.param_specs().size() == 2 + 2 * 6 + 1);
  for (const auto& s : nb.param_specs()) CHECK(s.name.find("bias") == std::string::npos);
}

TEST_CASE("gpt matches the PyTorch reference: logits, loss and every gradient") {
  const reference& r = load_reference();
  auto m = make_model(r.config);
  load_params(*m, r.ck, "");
  const int B = r.B, T = r.T, V = m->vocab_size();

  std::vector<float> logits(size_t(B) * T * V);
  m->forward_logits(r.inputs.data(), B, T, logits.data());
  const checkpoint_tensor& ref_logits = tensor_named(r.ck, "logits");
  REQUIRE(ref_logits.bytes.size() == logits.size() * 4);
  double lerr = max_rel_err(logits.data(), ref_logits.f32(), logits.size());
  MESSAGE("logits max err / max |logit|: " << lerr);
  CHECK(lerr < 1e-5);

  const float ref_loss = tensor_named(r.ck, "loss").f32()[0];
  const float loss = m->forward_loss(r.inputs.data(), r.targets.data(), B, T);
  CHECK(std::fabs(loss - ref_loss) < 1e-6);

  m->grads().zero();
  rng unused(0);
  const float train_loss = m->forward_backward(r.inputs.data(), r.targets.data(), B, T, 1.0f, unused);
  CHECK(train_loss == loss);
  CHECK(unused.state == rng(0).state);   // dropout 0 draws nothing
  for (const tensor_spec& s : m->param_specs()) {
    const checkpoint_tensor& g = tensor_named(r.ck, "grad/" + s.name);
    double e = norm_err(m->grads().at(s), g.f32(), s.numel());
    CHECK_MESSAGE(e < 1e-5, s.name << " gradient normalized error " << e);
    if (s.name.ends_with("attn.qkv.bias")) {   // the key bias cannot change the softmax: zero gradient
      const int C = m->param_specs()[0].shape[1];
      for (int i = C; i < 2 * C; i++) CHECK(std::fabs(m->grads().at(s)[i]) < 1e-6);
    }
  }

  // grad_scale scales, and a second call adds.
  std::vector<float> g1(m->grads().data(), m->grads().data() + m->grads().size());
  m->forward_backward(r.inputs.data(), r.targets.data(), B, T, 0.5f, unused);
  double e = 0;
  for (size_t i = 0; i < g1.size(); i++) e = std::max(e, std::fabs(m->grads().data()[i] - 1.5 * g1[i]));
  CHECK(e < 1e-6);
}

TEST_CASE("gpt matches 10 PyTorch AdamW steps (weight decay on >= 2-D parameters only)") {
  const reference& r = load_reference();
  auto m = make_model(r.config);
  load_params(*m, r.ck, "");
  const checkpoint_tensor& ref_losses = tensor_named(r.ck, "adamw/losses");
  const int steps = r.adamw.at("steps").get<int>();
  REQUIRE(ref_losses.shape == std::vector<int64_t>{steps});

  arena mom1(m->params().size()), mom2(m->params().size());
  rng unused(0);
  for (int step = 1; step <= steps; step++) {
    m->grads().zero();
    float loss = m->forward_backward(r.inputs.data(), r.targets.data(), r.B, r.T, 1.0f, unused);
    CHECK_MESSAGE(std::fabs(loss - ref_losses.f32()[step - 1]) < 2e-6, "step " << step << ": " << loss
                                                                               << " vs " << ref_losses.f32()[step - 1]);
    for (const tensor_spec& s : m->param_specs()) {
      adamw_params hp;
      hp.lr = hp_lr(r);
      hp.beta1 = r.adamw.at("beta1").get<float>();
      hp.beta2 = r.adamw.at("beta2").get<float>();
      hp.eps = r.adamw.at("eps").get<float>();
      hp.weight_decay = s.decay ? r.adamw.at("weight_decay").get<float>() : 0.0f;
      hp.step = step;
      adamw_update(cpu_context(), m->params().at(s), m->grads().at(s), mom1.at(s), mom2.at(s), s.numel(), hp);
    }
  }
  // The key bias has an exactly zero gradient (it shifts every score of a softmax row equally), so both
  // engines step it by AdamW-normalized rounding noise: compare the query and value biases only, and
  // check the key bias moved no more than the steps allow.
  const int C = r.config.at("embd").get<int>();
  for (const tensor_spec& s : m->param_specs()) {
    const checkpoint_tensor& p = tensor_named(r.ck, "adamw/" + s.name);
    const float* ours = m->params().at(s);
    if (s.name.ends_with("attn.qkv.bias")) {
      const float* before = tensor_named(r.ck, s.name).f32();
      for (int i = C; i < 2 * C; i++) CHECK(std::fabs(ours[i] - before[i]) <= 1.01f * steps * hp_lr(r));
      double eq = norm_err(ours, p.f32(), C), ev = norm_err(ours + 2 * C, p.f32() + 2 * C, C);
      CHECK_MESSAGE(eq < 1e-5, s.name << " (query part) after AdamW: normalized error " << eq);
      CHECK_MESSAGE(ev < 1e-5, s.name << " (value part) after AdamW: normalized error " << ev);
      continue;
    }
    double e = norm_err(ours, p.f32(), s.numel());
    CHECK_MESSAGE(e < 1e-5, s.name << " after AdamW: normalized error " << e);
  }
}

TEST_CASE("gpt config validation names the option at fault") {
  auto msg = [](const gpt_config& c) { return gpt_config_validate(c).message(); };
  gpt_config c = small_config();
  CHECK(gpt_config_validate(c).is_ok());
  c.heads = 5;
  c.embd = 128;
  CHECK(msg(c) == "--heads 5 does not divide --embd 128 (each head gets embd/heads channels)");
  c = small_config();
  c.layers = 0;
  CHECK(msg(c) == "--layers must be positive (got 0)");
  c = small_config();
  c.vocab_size = -3;
  CHECK(msg(c) == "--vocab-size must be positive (got -3)");
  c = small_config();
  c.context = 0;
  CHECK(msg(c) == "--context must be positive (got 0)");
  c = small_config();
  c.dropout = 1.0f;
  CHECK(msg(c) == "--dropout must be in [0, 1) (got 1.000000)");
  c = small_config();
  c.embd = 1 << 20;
  c.heads = 1;
  CHECK(msg(c).find("the model is too large") == 0);
  c = small_config();
  c.embd = 768;
  c.heads = 3;   // heads of 256: wider than the CUDA attention kernels go
  CHECK(msg(c) == "head width --embd / --heads = 256 is above 128: use more heads (at least 6)");
  c.heads = 6;   // 128: the widest allowed
  CHECK(gpt_config_validate(c).is_ok());

  std::unique_ptr<lm_model> m;
  CHECK(model_create(json{{"kind", "gpt"}, {"vocab_size", 10}, {"context", 8}, {"layers", 2}, {"heads", 3},
                          {"embd", 16}},
                     m)
            .message() == "--heads 3 does not divide --embd 16 (each head gets embd/heads channels)");
  CHECK(model_create(json{{"kind", "gpt"}, {"vocab_size", 10}, {"context", 8}, {"heads", 2}, {"embd", 16}}, m)
            .message() == "gpt config lacks \"layers\"");
  CHECK(model_create(json{{"kind", "gpt"}, {"vocab_size", "ten"}, {"context", 8}, {"layers", 1}, {"heads", 2},
                          {"embd", 16}},
                     m)
            .message() == "gpt config \"vocab_size\" is not an integer: \"ten\"");
  CHECK(model_create(json{{"layers", 2}}, m).message() == "model config has no \"kind\" (gpt, lstm or seq2seq)");
  CHECK(model_create(json{{"kind", "rnn"}}, m).message() ==
        "unknown model kind 'rnn' (expected gpt, lstm or seq2seq)");
  CHECK(model_create(json::array(), m).message() == "model config is not a JSON object");
  CHECK(m == nullptr);

  model_kind k;
  REQUIRE(model_kind_parse("gpt", k).is_ok());
  CHECK(k == model_kind::gpt);
  CHECK(std::string(model_kind_name(model_kind::seq2seq)) == "seq2seq");
}

TEST_CASE("gpt config_json round trips through model_create") {
  gpt_model a(small_config(17, 10, 3, 2, 8, 0.25f, false));
  std::unique_ptr<lm_model> b = make_model(a.config_json());
  CHECK(b->config_json() == a.config_json());
  CHECK(b->kind() == model_kind::gpt);
  CHECK(b->vocab_size() == 17);
  CHECK(b->context_length() == 10);
  const gpt_config& c = dynamic_cast<gpt_model&>(*b).config();
  CHECK(c.layers == 3);
  CHECK(c.heads == 2);
  CHECK(c.embd == 8);
  CHECK(c.dropout == 0.25f);
  CHECK(c.bias == false);
  REQUIRE(b->param_specs().size() == a.param_specs().size());
  for (size_t i = 0; i < a.param_specs().size(); i++) {
    CHECK(b->param_specs()[i].name == a.param_specs()[i].name);
    CHECK(b->param_specs()[i].shape == a.param_specs()[i].shape);
    CHECK(b->param_specs()[i].offset == a.param_specs()[i].offset);
  }
}

TEST_CASE("gpt init (N(0, 0.02), scaled residual projections) is bit-identical for the same seed") {
  gpt_config cfg = small_config(50, 16, 4, 4, 32);
  gpt_model a(cfg), b(cfg), c(cfg);
  a.init_params(7);
  b.init_params(7);
  c.init_params(8);
  REQUIRE(a.params().size() == b.params().size());
  CHECK(std::memcmp(a.params().data(), b.params().data(), a.params().size() * sizeof(float)) == 0);
  CHECK(std::memcmp(a.params().data(), c.params().data(), a.params().size() * sizeof(float)) != 0);

  auto stats = [&](const std::string& name, double& mean, double& sd) {
    for (const auto& s : a.param_specs()) {
      if (s.name != name) continue;
      const float* p = a.params().at(s);
      double s1 = 0, s2 = 0;
      for (size_t i = 0; i < s.numel(); i++) s1 += p[i], s2 += double(p[i]) * p[i];
      mean = s1 / s.numel();
      sd = std::sqrt(s2 / s.numel() - mean * mean);
      return;
    }
    FAIL("no parameter " << name);
  };
  double mean, sd;
  stats("wte.weight", mean, sd);
  CHECK(sd == doctest::Approx(0.02).epsilon(0.08));
  stats("blocks.1.mlp.fc.weight", mean, sd);
  CHECK(sd == doctest::Approx(0.02).epsilon(0.05));
  stats("blocks.2.attn.proj.weight", mean, sd);
  CHECK(sd == doctest::Approx(0.02 / std::sqrt(8.0)).epsilon(0.1));
  stats("blocks.3.mlp.proj.weight", mean, sd);
  CHECK(sd == doctest::Approx(0.02 / std::sqrt(8.0)).epsilon(0.05));
  stats("blocks.0.ln1.weight", mean, sd);
  CHECK(mean == 1.0);
  CHECK(sd == 0.0);
  stats("blocks.0.attn.qkv.bias", mean, sd);
  CHECK(mean == 0.0);
  CHECK(sd == 0.0);

  // Same seed, same data -> the same loss and gradients, bit for bit; also with dropout.
  gpt_config dcfg = small_config(50, 16, 2, 4, 32, 0.2f);
  gpt_model d1(dcfg), d2(dcfg);
  d1.init_params(3);
  d2.init_params(3);
  auto x = random_tokens(2 * 16, 50, 1), y = random_tokens(2 * 16, 50, 2);
  rng r1(9), r2(9);
  float l1 = d1.forward_backward(x.data(), y.data(), 2, 16, 1.0f, r1);
  float l2 = d2.forward_backward(x.data(), y.data(), 2, 16, 1.0f, r2);
  CHECK(l1 == l2);
  CHECK(r1.state == r2.state);
  CHECK(r1.state != rng(9).state);   // dropout drew from the generator
  CHECK(std::memcmp(d1.grads().data(), d2.grads().data(), d1.grads().size() * sizeof(float)) == 0);
}

TEST_CASE("gpt forward_loss is the mean cross-entropy of forward_logits, ignoring negative targets") {
  gpt_model m(small_config());
  randomize_params(m, 5, 0.3f);
  const int B = 3, T = 9, V = m.vocab_size();
  auto x = random_tokens(B * T, V, 11);
  auto y = random_tokens(B * T, V, 12);
  y[4] = -1;
  y[20] = -1;
  std::vector<float> logits(size_t(B) * T * V);
  m.forward_logits(x.data(), B, T, logits.data());
  double sum = 0;
  int n = 0;
  for (int i = 0; i < B * T; i++) {
    if (y[i] < 0) continue;
    const float* row = logits.data() + size_t(i) * V;
    double mx = *std::max_element(row, row + V), z = 0;
    for (int v = 0; v < V; v++) z += std::exp(row[v] - mx);
    sum += std::log(z) + mx - row[y[i]];
    n++;
  }
  CHECK(m.forward_loss(x.data(), y.data(), B, T) == doctest::Approx(sum / n).epsilon(1e-6));
}

TEST_CASE("gpt dropout gradients match finite differences of the loss with the same dropout draw") {
  gpt_model m(small_config(11, 6, 2, 2, 8, 0.3f));
  randomize_params(m, 21, 0.4f);
  const int B = 2, T = 6;
  auto x = random_tokens(B * T, 11, 31), y = random_tokens(B * T, 11, 32);
  const uint64_t seed = 77;
  rng r(seed);
  m.grads().zero();
  const float loss = m.forward_backward(x.data(), y.data(), B, T, 1.0f, r);
  CHECK(loss != doctest::Approx(m.forward_loss(x.data(), y.data(), B, T)).epsilon(1e-4));   // dropout acted

  std::vector<float> grads(m.grads().data(), m.grads().data() + m.grads().size());
  rng pick(5);
  int checked = 0;
  for (const auto& s : m.param_specs()) {
    for (int k = 0; k < 2; k++) {
      const size_t i = s.offset + pick.below(s.numel());
      float* p = m.params().data() + i;
      const float saved = *p, h = 1e-2f;
      auto loss_at = [&](float v) {
        *p = v;
        rng rr(seed);
        return double(m.forward_backward(x.data(), y.data(), B, T, 1.0f, rr));
      };
      const double fd = (loss_at(saved + h) - loss_at(saved - h)) / (2.0 * h);
      *p = saved;
      CHECK_MESSAGE(std::fabs(fd - grads[i]) <= 2e-3 + 2e-2 * std::fabs(fd),
                    s.name << "[" << i - s.offset << "]: analytic " << grads[i] << ", finite difference " << fd);
      checked++;
    }
  }
  CHECK(checked == int(m.param_specs().size()) * 2);
}

TEST_CASE("gpt discard_grads: the next backward writes every gradient, and the one after adds") {
  // Over gradients full of NaN, a backward after discard_grads gives bit for bit what a backward into zeros
  // gives, for every parameter (wte is written by the head and added into by the embedding); a second backward
  // adds, as after zero_grads. fp32 and bf16 products (whose activations keep bf16 copies), dropout on.
  for (bool bf16 : {false, true}) {
    CAPTURE(bf16);
    matmul_set_bf16(bf16);
    gpt_model m(small_config(11, 8, 2, 2, 16, 0.2f));
    randomize_params(m, 23, 0.3f);
    const int B = 3, T = 7;   // T below the context: wpe's rows past T get no gradient, and must read 0
    auto x = random_tokens(B * T, 11, 41), y = random_tokens(B * T, 11, 42);
    auto two_steps = [&](bool discard) {
      std::vector<float> first;
      if (discard) {
        for (const auto& s : m.param_specs()) std::fill_n(m.grads().data() + s.offset, s.numel(), std::nanf(""));
        m.discard_grads();
      } else {
        m.zero_grads();
      }
      rng r(5);
      m.forward_backward(x.data(), y.data(), B, T, 1.0f, r);
      first.assign(m.grads().data(), m.grads().data() + m.grads().size());
      m.forward_backward(y.data(), x.data(), B, T, 0.5f, r);
      first.insert(first.end(), m.grads().data(), m.grads().data() + m.grads().size());
      return first;
    };
    const std::vector<float> zeroed = two_steps(false), discarded = two_steps(true);
    CHECK(std::memcmp(zeroed.data(), discarded.data(), zeroed.size() * sizeof(float)) == 0);
    bool finite = true;
    for (float v : discarded) finite = finite && std::isfinite(v);
    CHECK(finite);
  }
  matmul_set_bf16(false);
}

TEST_CASE("gpt KV-cache decoding gives the full forward's logits at every position") {
  for (bool bias : {true, false}) {
    gpt_model m(small_config(13, 9, 2, 3, 12, 0.0f, bias));
    randomize_params(m, 42, 0.3f);
    const int V = m.vocab_size(), maxT = m.context_length();
    for (int B : {1, 3}) {
      for (int len : {1, 4, maxT}) {
        CAPTURE(bias);
        CAPTURE(B);
        CAPTURE(len);
        auto toks = random_tokens(size_t(B) * len, V, 100 + len);
        std::vector<float> full(size_t(B) * len * V);
        m.forward_logits(toks.data(), B, len, full.data());
        auto st = m.decode_begin(B);
        CHECK(st->batch == B);
        std::vector<int> step_tokens(B);
        std::vector<float> step_logits(size_t(B) * V);
        double worst = 0;
        for (int t = 0; t < len; t++) {
          for (int b = 0; b < B; b++) step_tokens[b] = toks[size_t(b) * len + t];
          m.decode_step(*st, step_tokens.data(), step_logits.data());
          CHECK(st->position == t + 1);
          for (int b = 0; b < B; b++)
            for (int v = 0; v < V; v++)
              worst = std::max(worst, double(std::fabs(step_logits[size_t(b) * V + v] -
                                                        full[(size_t(b) * len + t) * V + v])));
        }
        CHECK(worst < 1e-4);
      }
    }
  }
}

TEST_CASE("gpt training_bytes counts parameters, gradients, moments and activations without allocating") {
  gpt_model m(small_config());
  size_t n = 0;
  for (const auto& s : m.param_specs()) n += s.numel();
  const size_t small = m.training_bytes(2, 4), big = m.training_bytes(4, 8);
  CHECK(small > 4 * n * sizeof(float));
  CHECK(big > small);
  CHECK(m.training_bytes(4, 8) - m.training_bytes(2, 8) > 0);

  // A model far too large for memory can be weighed before anything is allocated.
  gpt_config huge = small_config(50000, 4096, 96, 128, 16384);
  REQUIRE(gpt_config_validate(huge).is_ok());
  gpt_model h(huge);
  CHECK(h.training_bytes(64, 4096) > (size_t(1) << 40));
}

TEST_CASE("gpt parameters survive a .pluma round trip by name") {
  gpt_model a(small_config(13, 9, 2, 3, 12));
  a.init_params(4);
  checkpoint ck;
  ck.metadata["config"] = a.config_json().dump();
  for (const auto& s : a.param_specs()) ck.add_f32(s.name, s.shape, a.params().at(s));
  const std::string path = "/tmp/pluma_test_gpt_roundtrip.pluma";
  REQUIRE(checkpoint_write(path, ck).is_ok());

  checkpoint back;
  REQUIRE(checkpoint_read(path, back).is_ok());
  auto b = make_model(json::parse(back.metadata.at("config")));
  load_params(*b, back, "");
  auto x = random_tokens(2 * 9, 13, 8);
  std::vector<float> la(2 * 9 * 13), lb(la.size());
  a.forward_logits(x.data(), 2, 9, la.data());
  b->forward_logits(x.data(), 2, 9, lb.data());
  CHECK(la == lb);
  std::remove(path.c_str());
}
