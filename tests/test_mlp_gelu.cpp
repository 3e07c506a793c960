// mlp_gelu (model/ops/mlp_gelu.h): the fused fc + GELU forward and projection + GELU backward against the
// unfused ops (matmul, gelu), and a finite-difference check of a two-layer MLP through them; fp32 and bf16.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/ops/gelu.h"
#include "model/ops/layernorm.h"
#include "model/ops/matmul.h"
#include "model/ops/mlp_gelu.h"
#include "tests/normal_vector.h"

using namespace pluma;
using pluma::testing::normal_vector;

namespace {

const exec_context& host = cpu_context();

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); i++) d += (a[i] - b[i]) * double(a[i] - b[i]), na += a[i] * double(a[i]), nb += b[i] * double(b[i]);
  const double den = std::sqrt(std::max(na, nb));
  return den == 0 ? 0 : std::sqrt(d) / den;
}

// A two-layer MLP y = gelu(x · w1ᵀ + b1) · w2ᵀ + b2 with x: (N, C), hidden H, output O.
struct mlp {
  int N, C, H, O;
  std::vector<float> x, w1, b1, w2, b2, dout;
  mlp(int N_, int C_, int H_, int O_, uint64_t seed) : N(N_), C(C_), H(H_), O(O_) {
    x = normal_vector(size_t(N) * C, seed);
    w1 = normal_vector(size_t(H) * C, seed + 1, 0.5f);
    b1 = normal_vector(H, seed + 2, 0.5f);
    w2 = normal_vector(size_t(O) * H, seed + 3, 0.5f);
    b2 = normal_vector(O, seed + 4);
    dout = normal_vector(size_t(N) * O, seed + 5);
  }
  // forward: saved, hidden, y; with fused = false the unfused ops
  void forward(bool fused, std::vector<float>& saved, std::vector<float>& h, std::vector<float>& y) const {
    saved.assign(size_t(N) * H, 0.0f);
    h.assign(size_t(N) * H, 0.0f);
    y.assign(size_t(N) * O, 0.0f);
    if (fused) {
      matmul_gelu_forward(host, saved.data(), h.data(), x.data(), w1.data(), b1.data(), N, C, H);
    } else {
      matmul_forward(host, saved.data(), x.data(), w1.data(), b1.data(), N, C, H);
      gelu_forward(host, h.data(), saved.data(), long(N) * H);
    }
    matmul_forward(host, y.data(), h.data(), w2.data(), b2.data(), N, H, O);
  }
  double loss() const {
    std::vector<float> s, h, y;
    forward(true, s, h, y);
    double l = 0;
    for (size_t i = 0; i < y.size(); i++) l += double(dout[i]) * y[i];
    return l;
  }
};

// Gradients of the projection's weight and bias and of the pre-activation, fused or not; dpre starts as noise
// (both must add into it).
struct mlp_grads {
  std::vector<float> dpre, dw2, db2;
};
mlp_grads projection_backward(const mlp& m, bool fused) {
  std::vector<float> saved, h, y;
  m.forward(fused, saved, h, y);
  mlp_grads g{normal_vector(size_t(m.N) * m.H, 99, 0.1f), normal_vector(size_t(m.O) * m.H, 98, 0.1f), normal_vector(m.O, 97, 0.1f)};
  std::vector<float> scratch(size_t(m.N) * m.H, 0.0f);
  if (fused) {
    gelu_matmul_backward(host, g.dpre.data(), g.dw2.data(), g.db2.data(), m.dout.data(), saved.data(), h.data(),
                         m.w2.data(), scratch.data(), m.N, m.H, m.O);
  } else {
    matmul_backward(host, scratch.data(), g.dw2.data(), g.db2.data(), m.dout.data(), h.data(), m.w2.data(), m.N,
                    m.H, m.O);
    gelu_backward(host, g.dpre.data(), saved.data(), scratch.data(), long(m.N) * m.H);
  }
  return g;
}

void check_against_unfused(int N, int C, int H, int O, double tol) {
  const mlp m(N, C, H, O, 7 + N);
  std::vector<float> s0, h0, y0, s1, h1, y1;
  m.forward(false, s0, h0, y0);
  m.forward(true, s1, h1, y1);
  CHECK(rel_err(h0, h1) < tol);
  CHECK(rel_err(y0, y1) < tol);
  const mlp_grads a = projection_backward(m, false), b = projection_backward(m, true);
  CHECK(rel_err(a.dpre, b.dpre) < tol);
  CHECK(rel_err(a.dw2, b.dw2) < tol);
  CHECK(rel_err(a.db2, b.db2) < tol);
}

struct bf16_scope {
  explicit bf16_scope(bool on) { matmul_set_bf16(on); }
  ~bf16_scope() { matmul_set_bf16(false); }
};

}  // namespace

TEST_CASE("mlp_gelu matches matmul then gelu, forward and backward (fp32)") {
  check_against_unfused(7, 5, 12, 3, 1e-6);
  check_against_unfused(3, 24, 40, 9, 1e-6);      // few rows: the decoding-size product path forward
  check_against_unfused(300, 64, 256, 64, 1e-6);  // threaded products and GELU pass
}

TEST_CASE("mlp_gelu matches matmul then gelu with bf16 products") {
  bf16_scope on(true);
  check_against_unfused(300, 64, 256, 64, 1e-2);
  check_against_unfused(37, 20, 52, 11, 1e-2);
}

TEST_CASE("mlp_gelu: the backward of a two-layer MLP matches finite differences") {
  mlp m(9, 6, 20, 5, 3);
  std::vector<float> saved, h, y;
  m.forward(true, saved, h, y);
  std::vector<float> dpre(size_t(m.N) * m.H, 0.0f), dw2(m.w2.size(), 0.0f), db2(m.O, 0.0f), scratch(dpre.size());
  gelu_matmul_backward(host, dpre.data(), dw2.data(), db2.data(), m.dout.data(), saved.data(), h.data(), m.w2.data(),
                       scratch.data(), m.N, m.H, m.O);
  std::vector<float> dx(m.x.size(), 0.0f), dw1(m.w1.size(), 0.0f), db1(m.H, 0.0f);
  matmul_backward(host, dx.data(), dw1.data(), db1.data(), dpre.data(), m.x.data(), m.w1.data(), m.N, m.C, m.H);
  auto check = [&](std::vector<float>& param, const std::vector<float>& analytic) {
    std::vector<double> a, n;
    for (size_t j = 0; j < param.size(); j += std::max<size_t>(1, param.size() / 40)) {
      const float x0 = param[j];
      param[j] = x0 + 1e-2f;
      const double lp = m.loss();
      param[j] = x0 - 1e-2f;
      const double lm = m.loss();
      param[j] = x0;
      a.push_back(analytic[j]);
      n.push_back((lp - lm) / 2e-2);
    }
    double d = 0, nn = 0;
    for (size_t i = 0; i < a.size(); i++) d += (a[i] - n[i]) * (a[i] - n[i]), nn += n[i] * n[i];
    CHECK(nn > 1e-6);
    CHECK(std::sqrt(d / nn) < 2e-3);
  };
  check(m.x, dx);
  check(m.w1, dw1);
  check(m.b1, db1);
  check(m.w2, dw2);
  check(m.b2, db2);
}

TEST_CASE("backward with grad_write::overwrite writes the input gradient that adding into zeros gives") {
  // matmul_backward's dinp and gelu_matmul_backward's dpre, fp32 and bf16: overwrite ignores what was there
  // (NaN here), adding keeps it, and the parameter gradients are added into either way.
  for (bool bf16 : {false, true}) {
    CAPTURE(bf16);
    matmul_set_bf16(bf16);
    const mlp m(13, 12, 20, 7, 31);
    std::vector<float> saved, h, y;
    m.forward(true, saved, h, y);
    const float nan = std::nanf("");
    auto run = [&](grad_write mode, float fill, float grad_fill, std::vector<float>& dpre, std::vector<float>& dx,
                   std::vector<float>& dw2, std::vector<float>& dw1) {
      dpre.assign(size_t(m.N) * m.H, fill);
      dx.assign(size_t(m.N) * m.C, fill);
      dw2.assign(m.w2.size(), grad_fill);
      dw1.assign(m.w1.size(), grad_fill);
      std::vector<float> scratch(size_t(m.N) * m.H);
      gelu_matmul_backward(host, dpre.data(), dw2.data(), nullptr, m.dout.data(), saved.data(), h.data(), m.w2.data(),
                           scratch.data(), m.N, m.H, m.O, mode);
      matmul_backward(host, dx.data(), dw1.data(), nullptr, dpre.data(), m.x.data(), m.w1.data(), m.N, m.C, m.H, mode);
    };
    std::vector<float> p0, x0, w20, w10, p1, x1, w21, w11, p2, x2, w22, w12;
    run(grad_write::add, 0.0f, 0.0f, p0, x0, w20, w10);
    run(grad_write::overwrite, nan, 0.0f, p1, x1, w21, w11);
    CHECK(p1 == p0);   // bit for bit: the same product, only the sum post-op dropped
    CHECK(x1 == x0);
    CHECK(w21 == w20);
    CHECK(w11 == w10);
    run(grad_write::overwrite, nan, 1.0f, p2, x2, w22, w12);   // parameter gradients: added into
    double off = 0;
    for (size_t i = 0; i < w22.size(); i++) off = std::max(off, std::fabs(double(w22[i]) - (w20[i] + 1.0)));
    CHECK(off < 1e-5);
    run(grad_write::add, 1.0f, 0.0f, p2, x2, w22, w12);   // adding keeps what was there
    bool kept = true;
    for (size_t i = 0; i < p2.size(); i++) kept = kept && std::fabs(p2[i] - (p0[i] + 1.0f)) < 1e-5f;
    CHECK(kept);
  }
  matmul_set_bf16(false);
}

TEST_CASE("backward with params_write overwrite writes the parameter gradients that adding into zeros gives") {
  // matmul_backward, gelu_matmul_backward (with biases) and layernorm_backward, fp32 and bf16 products: written
  // over NaN, each parameter gradient is bit for bit the one added into zeros (a step's first micro-batch).
  const float nan = std::nanf("");
  for (bool bf16 : {false, true}) {
    CAPTURE(bf16);
    matmul_set_bf16(bf16);
    const mlp m(37, 16, 64, 16, 41);   // N, C, H, O
    std::vector<float> saved, h, y;
    m.forward(true, saved, h, y);
    auto run = [&](grad_write mode, float fill) {
      std::vector<float> dpre(size_t(m.N) * m.H), dx(size_t(m.N) * m.C), scratch(size_t(m.N) * m.H);
      std::vector<float> dw2(m.w2.size(), fill), db2(m.b2.size(), fill), dw1(m.w1.size(), fill),
          db1(m.b1.size(), fill);
      gelu_matmul_backward(host, dpre.data(), dw2.data(), db2.data(), m.dout.data(), saved.data(), h.data(),
                           m.w2.data(), scratch.data(), m.N, m.H, m.O, grad_write::overwrite, mode);
      matmul_backward(host, dx.data(), dw1.data(), db1.data(), dpre.data(), m.x.data(), m.w1.data(), m.N, m.C, m.H,
                      grad_write::overwrite, mode);
      for (auto* v : {&db2, &dw1, &db1}) dw2.insert(dw2.end(), v->begin(), v->end());
      return dw2;
    };
    const std::vector<float> added = run(grad_write::add, 0.0f), written = run(grad_write::overwrite, nan);
    CHECK(written == added);
    // no rows: written gradients are the empty sums, zeros
    std::vector<float> dw(m.w1.size(), nan), db(m.b1.size(), nan), dw2(m.w2.size(), nan), db2(m.b2.size(), nan);
    matmul_backward(host, nullptr, dw.data(), db.data(), m.dout.data(), m.x.data(), m.w1.data(), 0, m.C, m.H,
                    grad_write::overwrite, grad_write::overwrite);
    gelu_matmul_backward(host, nullptr, dw2.data(), db2.data(), m.dout.data(), saved.data(), h.data(), m.w2.data(),
                         nullptr, 0, m.H, m.O, grad_write::overwrite, grad_write::overwrite);
    for (auto* v : {&db, &dw2, &db2}) dw.insert(dw.end(), v->begin(), v->end());
    CHECK(dw == std::vector<float>(dw.size(), 0.0f));
  }
  matmul_set_bf16(false);

  // layernorm_backward: its input gradient and its weight and bias gradients, each written over NaN
  const int N = 29, C = 80;
  const auto x = normal_vector(size_t(N) * C, 51), w = normal_vector(C, 52), b = normal_vector(C, 53);
  const auto dout = normal_vector(size_t(N) * C, 54);
  std::vector<float> out(x.size()), mean(N), rstd(N);
  layernorm_forward(host, out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
  auto ln_run = [&](grad_write dinp_mode, grad_write params_mode) {
    std::vector<float> dx(x.size(), dinp_mode == grad_write::add ? 0.0f : nan);
    std::vector<float> dw(C, params_mode == grad_write::add ? 0.0f : nan), db = dw;
    layernorm_backward(host, dx.data(), dw.data(), db.data(), dout.data(), x.data(), w.data(), mean.data(),
                       rstd.data(), N, C, dinp_mode, params_mode);
    dx.insert(dx.end(), dw.begin(), dw.end());
    dx.insert(dx.end(), db.begin(), db.end());
    return dx;
  };
  const std::vector<float> ln_added = ln_run(grad_write::add, grad_write::add);
  CHECK(ln_run(grad_write::overwrite, grad_write::overwrite) == ln_added);
  // the two modes are independent: writing the input gradient still adds into the parameters' (zeros here)
  CHECK(ln_run(grad_write::overwrite, grad_write::add) == ln_added);
}
