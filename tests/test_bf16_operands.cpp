// bf16 operands (model/ops/operand.h): under bf16 products, a product that reads the bf16 copies of its operands
// gives bit for bit what it gives when it rounds their fp32 values itself; a producer that writes bf16 writes the
// rounding of what it writes in fp32. And the GPT, which keeps such copies under --precision bf16, stays within
// bfloat16's reach of its fp32 self.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/gpt/gpt.h"
#include "model/ops/attention.h"
#include "model/ops/cpu/bf16_round.h"
#include "model/ops/layernorm.h"
#include "model/ops/matmul.h"
#include "model/ops/mlp_gelu.h"
#include "model/ops/tensor_util.h"
#include "tests/normal_vector.h"

using namespace pluma;
using pluma::testing::normal_vector;

namespace {

const exec_context& host = cpu_context();

std::vector<uint16_t> rounded(const std::vector<float>& x) {
  std::vector<uint16_t> r(x.size());
  tensor_to_bf16(host, r.data(), x.data(), long(x.size()));
  return r;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); i++) d += (a[i] - b[i]) * double(a[i] - b[i]), n += b[i] * double(b[i]);
  return std::sqrt(d / std::max(n, 1e-30));
}

struct bf16_scope {   // sets the products' precision, and restores the one before
  bool before = matmul_bf16();
  explicit bf16_scope(bool on) { matmul_set_bf16(on); }
  ~bf16_scope() { matmul_set_bf16(before); }
};

}  // namespace

TEST_CASE("matmul: bf16 copies of the operands give the products of rounding their fp32 values, bit for bit") {
  bf16_scope bf16(true);
  for (int N : {3, 37}) {   // 3: a few rows, which with fp32 operands take the rows kernel
    INFO("N = ", N);
    const int C = 24, OC = 40;
    const auto x = normal_vector(size_t(N) * C, 1), w = normal_vector(size_t(OC) * C, 2), b = normal_vector(OC, 3);
    const auto dout = normal_vector(size_t(N) * OC, 4);
    const auto x16 = rounded(x), w16 = rounded(w);
    std::vector<float> out16(size_t(N) * OC), dx16(x.size(), 0.5f), dw16(w.size(), 0.25f), db16(OC, 0.125f);
    matmul_forward(host, out16.data(), operand(x16.data()), operand(w16.data()), b.data(), N, C, OC);
    matmul_backward(host, dx16.data(), dw16.data(), db16.data(), dout.data(), operand(x16.data()), operand(w16.data()),
                    N, C, OC);
    if (N > 4) {
      std::vector<float> out(out16.size()), dx(x.size(), 0.5f), dw(w.size(), 0.25f), db(OC, 0.125f);
      matmul_forward(host, out.data(), x.data(), w.data(), b.data(), N, C, OC);
      matmul_backward(host, dx.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), N, C, OC);
      CHECK(same_bits(out16, out));
      CHECK(same_bits(dx16, dx));
      CHECK(same_bits(dw16, dw));
      CHECK(same_bits(db16, db));
    }
    // against the products of the rounded values in double, with fp32 accumulation's error
    std::vector<float> xr(x.size()), wr(w.size()), ref(out16.size());
    for (size_t i = 0; i < x.size(); i++) xr[i] = std::bit_cast<float>(uint32_t(x16[i]) << 16);
    for (size_t i = 0; i < w.size(); i++) wr[i] = std::bit_cast<float>(uint32_t(w16[i]) << 16);
    std::vector<float> plain(out16.size());
    {
      bf16_scope fp32(false);
      matmul_forward(host, plain.data(), x.data(), w.data(), b.data(), N, C, OC);
      matmul_forward(host, ref.data(), xr.data(), wr.data(), b.data(), N, C, OC);
    }
    CHECK(rel_err(out16, ref) < 1e-6);
    CHECK(rel_err(out16, plain) > 1e-5);   // the rounding is real
  }
}

TEST_CASE("layernorm and attention written in bf16 are the rounding of their fp32 outputs") {
  const int B = 2, T = 19, C = 48, NH = 3, N = B * T;
  const auto x = normal_vector(size_t(N) * C, 5), g = normal_vector(C, 6, 0.5f), b = normal_vector(C, 7);
  std::vector<float> out(size_t(N) * C), mean(N), rstd(N), mean16(N), rstd16(N);
  std::vector<uint16_t> out16(out.size());
  layernorm_forward(host, out.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), N, C);
  layernorm_forward(host, operand_out(out16.data()), mean16.data(), rstd16.data(), x.data(), g.data(), b.data(), N, C);
  CHECK(out16 == rounded(out));
  CHECK(same_bits(mean16, mean));
  CHECK(same_bits(rstd16, rstd));

  const auto qkv = normal_vector(size_t(N) * 3 * C, 8);
  std::vector<float> y(size_t(N) * C), att(size_t(B) * NH * T * T), att16(att.size());
  std::vector<uint16_t> y16(y.size());
  attention_forward(host, y.data(), att.data(), qkv.data(), B, T, C, NH);
  attention_forward(host, operand_out(y16.data()), att16.data(), qkv.data(), B, T, C, NH);
  CHECK(y16 == rounded(y));
  CHECK(same_bits(att16, att));
}

TEST_CASE("mlp_gelu with bf16 operands and a bf16 GELU output: the same bits as rounding inside") {
  bf16_scope bf16(true);
  const int N = 29, C = 16, H = 40;   // N * H = 1160: the GELU pass ends in a partial vector
  const auto x = normal_vector(size_t(N) * C, 9), w1 = normal_vector(size_t(H) * C, 10, 0.3f), b1 = normal_vector(H, 11);
  const auto w2 = normal_vector(size_t(C) * H, 12, 0.3f), dout = normal_vector(size_t(N) * C, 13);
  std::vector<float> saved(size_t(N) * H), h(saved.size()), saved16(saved.size());
  std::vector<uint16_t> h16(h.size());
  matmul_gelu_forward(host, saved.data(), h.data(), x.data(), w1.data(), b1.data(), N, C, H);
  const auto x16 = rounded(x), w116 = rounded(w1), w216 = rounded(w2);
  matmul_gelu_forward(host, saved16.data(), operand_out(h16.data()), operand(x16.data()), operand(w116.data()),
                      b1.data(), N, C, H);
  CHECK(same_bits(saved16, saved));
  CHECK(h16 == rounded(h));

  std::vector<float> dpre(saved.size()), dw2(w2.size(), 0.5f), db2(C, 0.25f), scratch(saved.size());
  std::vector<float> dpre16(saved.size()), dw216(w2.size(), 0.5f), db216(C, 0.25f);
  gelu_matmul_backward(host, dpre.data(), dw2.data(), db2.data(), dout.data(), saved.data(), h.data(), w2.data(),
                       scratch.data(), N, H, C, grad_write::overwrite);
  gelu_matmul_backward(host, dpre16.data(), dw216.data(), db216.data(), dout.data(), saved.data(),
                       operand(h16.data()), operand(w216.data()), scratch.data(), N, H, C, grad_write::overwrite);
  CHECK(same_bits(dpre16, dpre));
  CHECK(same_bits(dw216, dw2));
  CHECK(same_bits(db216, db2));
}

TEST_CASE("gpt under bf16 products (bf16 copies of weights and activations) stays within bfloat16 of fp32") {
  gpt_config cfg;
  cfg.vocab_size = 11, cfg.context = 16, cfg.layers = 2, cfg.heads = 2, cfg.embd = 32;
  const int B = 3, T = 16;
  std::vector<int> in(B * T), tg(B * T);
  for (int i = 0; i < B * T; i++) in[i] = (i * 7 + 3) % cfg.vocab_size, tg[i] = (i * 5 + 1) % cfg.vocab_size;
  auto run = [&](bool bf16, float* loss_eval) {
    bf16_scope scope(bf16);
    gpt_model m(cfg);
    m.init_params(42);
    m.zero_grads();
    rng drop(1);
    const float loss = m.forward_backward(in.data(), tg.data(), B, T, 1.0f, drop);
    *loss_eval = m.forward_loss(in.data(), tg.data(), B, T);
    std::vector<float> grads(m.grads().data(), m.grads().data() + m.grads().size());
    grads.push_back(loss);
    return grads;
  };
  float eval32 = 0, eval16 = 0;
  const auto g32 = run(false, &eval32), g16 = run(true, &eval16);
  CHECK(g16.back() == eval16);   // the training forward and the evaluation forward agree
  CHECK(g32.back() == eval32);
  CHECK(std::abs(g16.back() - g32.back()) < 2e-2 * g32.back());
  // every parameter's gradient near its fp32 value (a product given a wrong copy would be far off), and
  // the bf16 products did run
  int checked = 0;
  const gpt_model shapes(cfg);
  for (const tensor_spec& s : shapes.param_specs()) {
    INFO(s.name);
    const auto at = [&](const std::vector<float>& g) {
      return std::vector<float>(g.begin() + long(s.offset), g.begin() + long(s.offset + s.numel()));
    };
    const double off = rel_err(at(g16), at(g32));
    CHECK(off < 5e-2);
    if (s.shape.size() == 2) {
      CHECK(off > 1e-5);
      checked++;
    }
  }
  CHECK(checked == 2 + 4 * cfg.layers);   // wte, wpe, and four matrices a block

  // The weights' copy follows the parameters: after new ones, the loss is a fresh model's with them.
  bf16_scope scope(true);
  gpt_model m(cfg), fresh(cfg);
  m.init_params(42);
  rng drop(1);
  m.forward_backward(in.data(), tg.data(), B, T, 1.0f, drop);
  m.init_params(7);
  fresh.init_params(7);
  CHECK(m.forward_loss(in.data(), tg.data(), B, T) == fresh.forward_loss(in.data(), tg.data(), B, T));
}

TEST_CASE("bf16 rounding: nearest even, NaNs stay NaNs, and the vector store agrees with the loop") {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {1.0f + 1.0f / 256, 1.0f + 3.0f / 256, -2.5f, 0.0f, -0.0f, inf, -inf,
                          std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(), 3.0e-39f};
  for (uint32_t bits : {0x7f800001u, 0x7fc00000u, 0xffffffffu, 0xff800001u, 0x7fbfffffu})
    x.push_back(std::bit_cast<float>(bits));   // NaNs: signalling, quiet, negative, all ones
  while (x.size() % 16 != 5) x.push_back(float(x.size()) * 0.37f);   // ends in a partial vector
  std::vector<uint16_t> loop(x.size()), vec(x.size());
  cpu::round_bf16(loop.data(), x.data(), long(x.size()));
  for (size_t i = 0; i < x.size(); i += 16) {
    const int n = int(std::min<size_t>(16, x.size() - i));
    cpu::vec16 v = {};
    for (int l = 0; l < n; l++) v[l] = x[i + l];
    cpu::vec_store_bf16_part(vec.data() + i, v, n);
  }
  CHECK(loop == vec);
  auto value = [&](size_t i) { return std::bit_cast<float>(uint32_t(loop[i]) << 16); };
  CHECK(value(0) == 1.0f);                      // a tie, down to even
  CHECK(value(1) == 1.0f + 1.0f / 64);          // a tie, up to even
  CHECK(value(2) == -2.5f);
  CHECK(loop[4] == 0x8000);                     // -0 keeps its sign
  CHECK(value(5) == inf);
  CHECK(value(6) == -inf);
  CHECK(value(7) == inf);                       // past the largest bf16: infinity
  for (size_t i = 10; i < 15; i++) {
    CHECK(std::isnan(value(i)));
    CHECK(std::signbit(value(i)) == std::signbit(x[i]));
  }
}
