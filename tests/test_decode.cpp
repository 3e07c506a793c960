// Decoding's own paths: the bfloat16-weight matmul (--precision bf16), and the window slide that rewinds a
// state in place instead of allocating a new one.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "generate/decode_loop.h"
#include "model/core/rng.h"
#include "model/gpt/gpt.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/matmul.h"
#include "model/ops/matmul_decode.h"
#include "model/rnn/lstm_lm.h"
#include "tests/normal_vector.h"

using namespace pluma;
using pluma::testing::normal_vector;

namespace {

std::vector<uint16_t> bf16_bits(const std::vector<float>& x) {
  std::vector<uint16_t> h(x.size());
  cpu::to_bf16(h.data(), x.data(), x.size());
  return h;
}

std::vector<float> bf16_values(const std::vector<uint16_t>& h) {
  std::vector<float> r(h.size());
  for (size_t i = 0; i < h.size(); i++) {
    const uint32_t bits = uint32_t(h[i]) << 16;
    std::memcpy(&r[i], &bits, sizeof bits);
  }
  return r;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); i++) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
  return worst;
}

std::unique_ptr<gpt_model> random_gpt(int V, int context, int L, int NH, int C, uint64_t seed) {
  gpt_config c;
  c.vocab_size = V, c.context = context, c.layers = L, c.heads = NH, c.embd = C, c.dropout = 0.0f;
  auto m = std::make_unique<gpt_model>(c);
  rng g(seed);
  arena& p = m->params();
  for (size_t i = 0; i < p.size(); i++) p.data()[i] = 0.3f * g.normal();
  return m;
}

}  // namespace

TEST_CASE("matmul_decode: packed panels give the product, a row the same alone as in a block of rows") {
  // OC = 65: a run of 4 panels and a run of one panel with a single output; 200: a run of 1 partial panel
  // after three whole runs' worth; C odd leaves a last column (fp32) or half a pair (bf16)
  for (bool bf16 : {false, true}) {
    for (int C : {128, 37, 1}) {
      for (int OC : {65, 200, 16}) {
        CAPTURE(bf16);
        CAPTURE(C);
        CAPTURE(OC);
        const int N = 7;   // a block of 4 rows and one of 3
        const auto inp = normal_vector(size_t(N) * C, 11 + C, 1.0f), w = normal_vector(size_t(OC) * C, 12 + OC, 0.1f);
        const auto bias = normal_vector(OC, 13);
        const decode_matrices packed({{w.data(), OC, C}}, bf16);
        REQUIRE(packed.size() == 1);
        CHECK(packed.bf16() == bf16);
        std::vector<float> out(size_t(N) * OC), ref(out.size()), one(OC);
        matmul_decode(cpu_context(), out.data(), inp.data(), packed[0], bias.data(), N);
        const auto inp_r = bf16 ? bf16_values(bf16_bits(inp)) : inp, w_r = bf16 ? bf16_values(bf16_bits(w)) : w;
        cpu::matmul_forward_reference(ref.data(), inp_r.data(), w_r.data(), bias.data(), N, C, OC);
        CHECK(max_abs_diff(out, ref) < 1e-5);
        for (int n = 0; n < N; n++) {   // each row alone: bit for bit the block's row (a decoding step = prefill)
          matmul_decode(cpu_context(), one.data(), inp.data() + size_t(n) * C, packed[0], bias.data(), 1);
          CHECK(std::memcmp(one.data(), out.data() + size_t(n) * OC, sizeof(float) * OC) == 0);
        }
        matmul_decode(cpu_context(), out.data(), inp.data(), packed[0], nullptr, N);   // without a bias
        cpu::matmul_forward_reference(ref.data(), inp_r.data(), w_r.data(), nullptr, N, C, OC);
        CHECK(max_abs_diff(out, ref) < 1e-5);
      }
    }
  }
}

TEST_CASE("decode_matrices: several matrices, each 64-byte aligned and found by its order") {
  const auto a = normal_vector(48 * 20, 1), b = normal_vector(5 * 3, 2);
  for (bool bf16 : {false, true}) {
    const decode_matrices m({{a.data(), 48, 20}, {b.data(), 5, 3}}, bf16);
    REQUIRE(m.size() == 2);
    for (size_t k = 0; k < 2; k++) {
      const void* p = bf16 ? static_cast<const void*>(m[k].bf16) : static_cast<const void*>(m[k].f32);
      CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    }
    CHECK(m[1].rows == 5);
    CHECK(m[1].cols == 3);
    // a matrix given as two blocks of columns (an LSTM's [W_ih | W_hh]) packs as the joined one
    std::vector<float> joined(size_t(48) * 23);
    for (int o = 0; o < 48; o++)
      for (int c = 0; c < 23; c++) joined[size_t(o) * 23 + c] = c < 20 ? a[size_t(o) * 20 + c] : b[size_t(o % 5) * 3 + c - 20];
    std::vector<float> b48(size_t(48) * 3);
    for (int o = 0; o < 48; o++) std::copy_n(b.data() + size_t(o % 5) * 3, 3, b48.data() + size_t(o) * 3);
    const decode_matrices two({{a.data(), 48, 23, b48.data(), 20}}, bf16), one({{joined.data(), 48, 23}}, bf16);
    const auto xs = normal_vector(2 * 23, 3);
    std::vector<float> o2(2 * 48), o1(2 * 48);
    matmul_decode(cpu_context(), o2.data(), xs.data(), two[0], nullptr, 2);
    matmul_decode(cpu_context(), o1.data(), xs.data(), one[0], nullptr, 2);
    CHECK(o2 == o1);
    std::vector<float> x = {1.0f, -2.0f, 0.5f}, out(5), ref(5);
    matmul_decode(cpu_context(), out.data(), x.data(), m[1], nullptr, 1);
    const auto x_r = bf16 ? bf16_values(bf16_bits(x)) : x, b_r = bf16 ? bf16_values(bf16_bits(b)) : b;
    cpu::matmul_forward_reference(ref.data(), x_r.data(), b_r.data(), nullptr, 1, 3, 5);
    CHECK(max_abs_diff(out, ref) < 1e-5);
  }
}

TEST_CASE("gpt decoding with --precision bf16 reads bfloat16 weights and stays close to fp32") {
  auto mp = random_gpt(11, 16, 2, 2, 64, 7);
  gpt_model& m = *mp;
  const int V = m.vocab_size();
  const std::vector<int> toks = {1, 5, 2, 9, 3, 3, 0, 10};
  auto run = [&](bool bf16) {
    matmul_set_bf16(bf16);
    auto st = m.decode_begin(1);
    std::vector<float> logits(V), all;
    for (int t : toks) {
      m.decode_step(*st, &t, logits.data());
      all.insert(all.end(), logits.begin(), logits.end());
    }
    matmul_set_bf16(false);
    return all;
  };
  const auto fp32 = run(false), bf16 = run(true), again = run(true);
  CHECK(bf16 == again);   // deterministic
  const double off = max_abs_diff(fp32, bf16);
  CHECK(off > 1e-6);   // the bf16 path ran
  CHECK(off < 0.1);    // logits of size ~1-5, 8-bit mantissas
}

TEST_CASE("the window slide rewinds the state in place: the same logits as a fresh state") {
  // A GPT with context 8 slides every 4 tokens past the first 8. Beside the decoder, a reference makes a new
  // state at each slide (what the loop did before it rewound) and prefills it with the window the decoder now
  // holds: the logits must be identical, for fp32 and bf16 weights alike.
  for (bool bf16 : {false, true}) {
    CAPTURE(bf16);
    auto mp = random_gpt(13, 8, 2, 2, 32, 11);
    gpt_model& m = *mp;
    matmul_set_bf16(bf16);
    decoder d(m);
    rng g(3);
    std::unique_ptr<decode_state> ref_state = m.decode_begin(1);
    std::vector<float> ref(13);
    for (int i = 0; i < 30; i++) {
      const int id = static_cast<int>(g.below(13));
      const int slid = d.rebuilds();
      d.feed(id);
      if (d.rebuilds() > slid) {
        const auto& hist = d.history();
        std::vector<int> window(hist.end() - d.position(), hist.end());
        ref_state = m.decode_begin(1);
        m.decode_prefill(*ref_state, window.data(), int(window.size()), ref.data());
      } else {
        int t = id;
        m.decode_step(*ref_state, &t, ref.data());
      }
      CAPTURE(i);
      CHECK(d.logits() == ref);
    }
    CHECK(d.rebuilds() >= 5);
    matmul_set_bf16(false);
  }
}

// A 2-layer LSTM LM of vocabulary 9 and hidden 16; with embd >= 9 its decoding reads the first layer's
// input table.
lstm_lm small_lstm(int embd, uint64_t seed) {
  lstm_config c;
  c.vocab_size = 9, c.embd = embd, c.hidden = 16, c.layers = 2, c.dropout = 0.0f;
  lstm_lm m(c);
  m.init_params(seed);
  return m;
}

TEST_CASE("an LSTM state rewinds to the zero state") {
  for (int embd : {8, 12}) {
    CAPTURE(embd);
    lstm_lm m = small_lstm(embd, 5);
    const int V = 9;
    auto st = m.decode_begin(1);
    std::vector<float> first(V), after(V), l(V);
    int t = 4;
    m.decode_step(*st, &t, first.data());
    for (int x : {1, 2, 3}) m.decode_step(*st, &x, l.data());
    m.decode_rewind(*st);
    CHECK(st->position == 0);
    m.decode_step(*st, &t, after.data());
    CHECK(first == after);
  }
}

TEST_CASE("LSTM decoding with --precision bf16 stays close to fp32, with and without the first layer's table") {
  for (int embd : {6, 12}) {
    CAPTURE(embd);
    lstm_lm m = small_lstm(embd, 7);
    auto run = [&](bool bf16) {
      matmul_set_bf16(bf16);
      auto st = m.decode_begin(2);
      std::vector<float> logits(2 * 9), all;
      for (int t = 0; t < 8; t++) {
        const int toks[2] = {t % 9, (3 * t + 1) % 9};
        m.decode_step(*st, toks, logits.data());
        all.insert(all.end(), logits.begin(), logits.end());
      }
      matmul_set_bf16(false);
      return all;
    };
    const auto fp32 = run(false), bf16 = run(true), again = run(true);
    CHECK(bf16 == again);
    const double off = max_abs_diff(fp32, bf16);
    CHECK(off > 1e-7);   // the bf16 path ran
    CHECK(off < 0.05);
  }
}

TEST_CASE("share_decoding_weights: states pack the weights once, and decode as states with their own") {
  // Decodes 6 tokens of 2 sequences from a new state: the logits of every step.
  auto decode = [](lm_model& m, int V) {
    auto st = m.decode_begin(2);
    std::vector<float> logits(2 * size_t(V)), all;
    for (int t = 0; t < 6; t++) {
      const int toks[2] = {t % V, (3 * t + 1) % V};
      m.decode_step(*st, toks, logits.data());
      all.insert(all.end(), logits.begin(), logits.end());
    }
    return all;
  };
  // `packed`: a matrix that a step reads only from the packed copy
  struct precision_scope {   // bf16 products off again, whatever the checks do
    ~precision_scope() { matmul_set_bf16(false); }
  };
  auto check_model = [&](lm_model& m, int V, const std::string& packed) {
    precision_scope restore;
    for (bool bf16 : {false, true}) {
      CAPTURE(bf16);
      matmul_set_bf16(bf16);
      const auto own = decode(m, V);
      m.share_decoding_weights(true);
      const auto first = decode(m, V), second = decode(m, V);
      CHECK(first == own);
      CHECK(second == own);
      // The promise broken on purpose shows that the states share what the first one packed: a new state
      // still decodes the old matrix until sharing is turned off.
      std::vector<float> saved(m.params().data(), m.params().data() + m.params().size());
      const auto spec = std::find_if(m.param_specs().begin(), m.param_specs().end(),
                                     [&](const tensor_spec& t) { return t.name == packed; });
      REQUIRE(spec != m.param_specs().end());
      for (size_t i = 0; i < spec->numel(); i++) m.params().data()[spec->offset + i] *= 0.5f;
      CHECK(decode(m, V) == own);
      m.share_decoding_weights(false);
      CHECK(decode(m, V) != own);
      std::copy(saved.begin(), saved.end(), m.params().data());
      CHECK(decode(m, V) == own);
    }
    // While sharing, a new precision packs again (and a state still decodes after sharing ends).
    matmul_set_bf16(false);
    m.share_decoding_weights(true);
    const auto fp32 = decode(m, V);
    matmul_set_bf16(true);
    const auto bf16 = decode(m, V);
    matmul_set_bf16(false);
    auto held = m.decode_begin(2);   // made while sharing, stepped after sharing ends
    m.share_decoding_weights(false);
    std::vector<float> first(2 * size_t(V));
    const int toks[2] = {0, 1};
    m.decode_step(*held, toks, first.data());
    CHECK(std::equal(first.begin(), first.end(), fp32.begin()));
    CHECK(bf16 != fp32);
    CHECK(decode(m, V) == fp32);
  };
  SUBCASE("gpt") {
    auto g = random_gpt(11, 16, 2, 2, 16, 3);
    check_model(*g, 11, "blocks.0.mlp.fc.weight");
  }
  SUBCASE("lstm, with and without the first layer's table") {
    for (int embd : {6, 12}) {
      CAPTURE(embd);
      lstm_lm m = small_lstm(embd, 7);
      check_model(m, 9, "lstm.weight_hh_l0");
    }
  }
}
