// The LSTM layer op: own kernels against a double reference (forward) and finite differences (backward),
// the single decoding step against the sequence, and the oneDNN LSTM primitive against the own kernels.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/lstm.h"
#include "model/ops/lstm.h"
#include "model/ops/matmul.h"
#include "tests/lstm_double.h"

using namespace pluma;
using namespace pluma::test;

namespace {

// One layer's inputs, random, with a nonzero initial state.
struct layer_case {
  int T, B, C, H;
  std::vector<float> x, h0, c0, w_ih, w_hh, b_ih, b_hh;
  layer_case(int T_, int B_, int C_, int H_, uint64_t seed) : T(T_), B(B_), C(C_), H(H_) {
    rng g(seed);
    x = random_floats(g, size_t(T) * B * C, 1.0f);
    h0 = random_floats(g, size_t(B) * H, 0.5f);
    c0 = random_floats(g, size_t(B) * H, 0.5f);
    float k = 1.0f / std::sqrt(float(H));
    w_ih = random_floats(g, 4 * size_t(H) * C, k);
    w_hh = random_floats(g, 4 * size_t(H) * H, k);
    b_ih = random_floats(g, 4 * size_t(H), k);
    b_hh = random_floats(g, 4 * size_t(H), k);
  }
  size_t BH() const { return size_t(B) * H; }
};

// Forward outputs of the own kernels.
struct layer_out {
  std::vector<float> h, c, gates, hT, cT;
};

layer_out run_forward(const layer_case& k, bool with_state) {
  layer_out o;
  o.h.resize(size_t(k.T) * k.BH()), o.c.resize(o.h.size()), o.gates.resize(4 * o.h.size());
  o.hT.resize(k.BH()), o.cT.resize(k.BH());
  std::vector<float> scratch(lstm_forward_scratch_floats(k.B, k.H));
  lstm_forward(cpu_context(), o.h.data(), o.c.data(), o.gates.data(), o.hT.data(), o.cT.data(), k.x.data(),
               with_state ? k.h0.data() : nullptr, with_state ? k.c0.data() : nullptr, k.w_ih.data(),
               k.w_hh.data(), k.b_ih.data(), k.b_hh.data(), scratch.data(), k.T, k.B, k.C, k.H);
  return o;
}

// Gradients of every input of the layer.
struct layer_grads {
  std::vector<float> dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh;
  explicit layer_grads(const layer_case& k, float fill = 0.0f)
      : dx(k.x.size(), fill), dh0(k.BH(), fill), dc0(k.BH(), fill), dw_ih(k.w_ih.size(), fill),
        dw_hh(k.w_hh.size(), fill), db_ih(k.b_ih.size(), fill), db_hh(k.b_hh.size(), fill) {}
};

// The upstream gradients of a scalar loss L = Σ r·h + Σ rT·hT + Σ rc·cT.
struct upstream {
  std::vector<float> r, rT, rc;
  upstream(const layer_case& k, uint64_t seed) {
    rng g(seed);
    r = random_floats(g, size_t(k.T) * k.BH(), 1.0f);
    rT = random_floats(g, k.BH(), 1.0f);
    rc = random_floats(g, k.BH(), 1.0f);
  }
};

void run_backward(const layer_case& k, const layer_out& o, const upstream& u, layer_grads& d, bool with_state) {
  std::vector<float> scratch(lstm_backward_scratch_floats(k.T, k.B, k.H));
  lstm_backward(cpu_context(), d.dx.data(), with_state ? d.dh0.data() : nullptr,
                with_state ? d.dc0.data() : nullptr, d.dw_ih.data(), d.dw_hh.data(), d.db_ih.data(),
                d.db_hh.data(), u.r.data(), u.rT.data(), u.rc.data(), k.x.data(),
                with_state ? k.h0.data() : nullptr, with_state ? k.c0.data() : nullptr, k.w_ih.data(),
                k.w_hh.data(), o.h.data(), o.c.data(), o.gates.data(), scratch.data(), k.T, k.B, k.C, k.H);
}

}  // namespace

TEST_CASE("lstm_forward matches a double-precision LSTM, with and without an initial state") {
  for (bool with_state : {true, false}) {
    layer_case k(5, 3, 5, 7, 11);
    layer_out o = run_forward(k, with_state);
    dvec h, hT, cT;
    lstm_layer_double(h, hT, cT, to_double(k.x), with_state ? to_double(k.h0) : dvec(),
                      with_state ? to_double(k.c0) : dvec(), to_double(k.w_ih), to_double(k.w_hh),
                      to_double(k.b_ih), to_double(k.b_hh), k.T, k.B, k.C, k.H);
    CHECK(max_abs_diff(o.h, h) < 2e-6);
    CHECK(max_abs_diff(o.hT, hT) < 2e-6);
    CHECK(max_abs_diff(o.cT, cT) < 2e-6);
    // the saved cell states end with cT, the outputs with hT
    CHECK(std::equal(o.cT.begin(), o.cT.end(), o.c.end() - k.BH()));
    CHECK(std::equal(o.hT.begin(), o.hT.end(), o.h.end() - k.BH()));
  }
}

TEST_CASE("lstm_backward matches finite differences through 6 steps, initial state included") {
  layer_case k(6, 3, 5, 7, 21);
  upstream u(k, 22);
  layer_out o = run_forward(k, true);
  layer_grads d(k);
  run_backward(k, o, u, d, true);

  // the loss in double as a function of every input
  dvec x = to_double(k.x), h0 = to_double(k.h0), c0 = to_double(k.c0), w_ih = to_double(k.w_ih),
       w_hh = to_double(k.w_hh), b_ih = to_double(k.b_ih), b_hh = to_double(k.b_hh);
  auto loss = [&] {
    dvec h, hT, cT;
    lstm_layer_double(h, hT, cT, x, h0, c0, w_ih, w_hh, b_ih, b_hh, k.T, k.B, k.C, k.H);
    double s = 0;
    for (size_t i = 0; i < h.size(); i++) s += u.r[i] * h[i];
    for (size_t i = 0; i < hT.size(); i++) s += u.rT[i] * hT[i] + u.rc[i] * cT[i];
    return s;
  };
  struct named {
    const char* name;
    dvec* v;
    const std::vector<float>* grad;
  } all[] = {{"x", &x, &d.dx},          {"h0", &h0, &d.dh0},       {"c0", &c0, &d.dc0},
             {"w_ih", &w_ih, &d.dw_ih}, {"w_hh", &w_hh, &d.dw_hh}, {"b_ih", &b_ih, &d.db_ih},
             {"b_hh", &b_hh, &d.db_hh}};
  for (auto& n : all) {
    dvec num = numerical_gradient(*n.v, loss);
    INFO(n.name);
    CHECK(normalized_error(*n.grad, num) < 2e-6);
  }
}

TEST_CASE("lstm_backward adds into its gradients and treats a missing initial state as zeros") {
  layer_case k(4, 2, 3, 5, 31);
  upstream u(k, 32);
  layer_out o = run_forward(k, false);
  layer_grads fresh(k), filled(k, 0.25f);
  run_backward(k, o, u, fresh, false);
  run_backward(k, o, u, filled, false);
  for (size_t i = 0; i < fresh.dw_hh.size(); i++) REQUIRE(filled.dw_hh[i] == doctest::Approx(fresh.dw_hh[i] + 0.25f));
  for (size_t i = 0; i < fresh.dx.size(); i++) REQUIRE(filled.dx[i] == doctest::Approx(fresh.dx[i] + 0.25f));
  for (size_t i = 0; i < fresh.db_ih.size(); i++) REQUIRE(filled.db_ih[i] == doctest::Approx(fresh.db_ih[i] + 0.25f));
  CHECK(filled.dh0[0] == 0.25f);  // nullptr dh0: untouched

  // zeros given explicitly give the same gradients as nullptr
  layer_case z = k;
  std::fill(z.h0.begin(), z.h0.end(), 0.0f);
  std::fill(z.c0.begin(), z.c0.end(), 0.0f);
  layer_out oz = run_forward(z, true);
  CHECK(max_abs_diff(oz.h, o.h) == 0.0);
  layer_grads dz(z);
  run_backward(z, oz, u, dz, true);
  CHECK(max_abs_diff(dz.dw_hh, fresh.dw_hh) < 1e-6);
  CHECK(max_abs_diff(dz.dx, fresh.dx) < 1e-6);
}

TEST_CASE("lstm_step run T times equals lstm_forward, in place, few sequences and many") {
  for (int B : {1, 3, 6}) {   // up to 4 the step takes the dot-product path, above it the matmuls
    CAPTURE(B);
    layer_case k(5, B, 4, 6, 41);
    layer_out o = run_forward(k, true);
    std::vector<float> h = k.h0, c = k.c0, scratch(lstm_step_scratch_floats(k.B, k.H));
    for (int t = 0; t < k.T; t++) {
      lstm_step(cpu_context(), h.data(), c.data(), k.x.data() + size_t(t) * k.B * k.C, h.data(), c.data(),
                k.w_ih.data(), k.w_hh.data(), k.b_ih.data(), k.b_hh.data(), scratch.data(), k.B, k.C, k.H);
      std::vector<float> ht(o.h.begin() + t * k.BH(), o.h.begin() + (t + 1) * k.BH());
      CHECK(max_abs_diff(h, ht) < 1e-6);
    }
    CHECK(max_abs_diff(c, o.cT) < 1e-6);
    // from a zero state (h_prev, c_prev = nullptr) one step equals the sequence's first
    layer_out z = run_forward(k, false);
    lstm_step(cpu_context(), h.data(), c.data(), k.x.data(), nullptr, nullptr, k.w_ih.data(), k.w_hh.data(),
              k.b_ih.data(), k.b_hh.data(), scratch.data(), k.B, k.C, k.H);
    CHECK(max_abs_diff(h, std::vector<float>(z.h.begin(), z.h.begin() + k.BH())) < 1e-6);
  }
}

TEST_CASE("the oneDNN LSTM primitive and the own kernels agree, forward and backward") {
  struct dims {
    int T, B, C, H;
  };
  for (dims s : {dims{6, 3, 5, 7}, dims{9, 4, 17, 16}, dims{1, 1, 3, 2}}) {
    for (bool with_state : {true, false}) {
      CAPTURE(s.T);
      CAPTURE(s.H);
      CAPTURE(with_state);
      layer_case k(s.T, s.B, s.C, s.H, 51 + s.H);
      upstream u(k, 52 + s.H);
      layer_out o = run_forward(k, with_state);
      layer_grads d(k, 0.5f);
      run_backward(k, o, u, d, with_state);

      lstm_primitive prim(cpu_context(), k.T, k.B, k.C, k.H);
      std::vector<float> h(o.h.size()), hT(k.BH()), cT(k.BH());
      const float* h0 = with_state ? k.h0.data() : nullptr;
      const float* c0 = with_state ? k.c0.data() : nullptr;
      prim.forward(h.data(), nullptr, nullptr, k.x.data(), h0, c0, k.w_ih.data(), k.w_hh.data(), k.b_ih.data(),
                   k.b_hh.data(), false);
      CHECK(max_abs_diff(h, o.h) < 1e-5);
      prim.forward(h.data(), hT.data(), cT.data(), k.x.data(), h0, c0, k.w_ih.data(), k.w_hh.data(),
                   k.b_ih.data(), k.b_hh.data(), true);
      CHECK(max_abs_diff(h, o.h) < 1e-5);
      CHECK(max_abs_diff(hT, o.hT) < 1e-5);
      CHECK(max_abs_diff(cT, o.cT) < 1e-5);
      layer_grads e(k, 0.5f);
      prim.backward(e.dx.data(), with_state ? e.dh0.data() : nullptr, with_state ? e.dc0.data() : nullptr,
                    e.dw_ih.data(), e.dw_hh.data(), e.db_ih.data(), e.db_hh.data(), u.r.data(), u.rT.data(),
                    u.rc.data());
      CHECK(normalized_error(e.dx, d.dx) < 1e-5);
      CHECK(normalized_error(e.dh0, d.dh0) < 1e-5);
      CHECK(normalized_error(e.dc0, d.dc0) < 1e-5);
      CHECK(normalized_error(e.dw_ih, d.dw_ih) < 1e-5);
      CHECK(normalized_error(e.dw_hh, d.dw_hh) < 1e-5);
      CHECK(normalized_error(e.db_ih, d.db_ih) < 1e-5);
      CHECK(normalized_error(e.db_hh, d.db_hh) < 1e-5);
    }
  }
}

TEST_CASE("the oneDNN LSTM primitive in bf16 (--precision bf16) stays within bfloat16 rounding of fp32") {
  // x, h and the weights go through bfloat16 (8-bit mantissas); c, the gates' arithmetic and the gradients
  // are fp32, so results move by about 2^-8 relative, not more, and not less (the rounding is real).
  layer_case k(12, 4, 24, 32, 77);
  upstream u(k, 78);
  lstm_primitive f32(cpu_context(), k.T, k.B, k.C, k.H);
  REQUIRE_FALSE(f32.is_bf16());
  matmul_set_bf16(true);
  lstm_primitive b16(cpu_context(), k.T, k.B, k.C, k.H);
  matmul_set_bf16(false);
  if (!b16.is_bf16()) {
    MESSAGE("oneDNN has no bf16 LSTM on this CPU: the primitive stays fp32");
    return;
  }
  auto run = [&](lstm_primitive& p, layer_grads& g, std::vector<float>& h, std::vector<float>& hT,
                 std::vector<float>& cT) {
    p.forward(h.data(), hT.data(), cT.data(), k.x.data(), k.h0.data(), k.c0.data(), k.w_ih.data(), k.w_hh.data(),
              k.b_ih.data(), k.b_hh.data(), true);
    p.backward(g.dx.data(), g.dh0.data(), g.dc0.data(), g.dw_ih.data(), g.dw_hh.data(), g.db_ih.data(),
               g.db_hh.data(), u.r.data(), u.rT.data(), u.rc.data());
  };
  std::vector<float> h(size_t(k.T) * k.BH()), hT(k.BH()), cT(k.BH()), h16(h.size()), hT16(k.BH()), cT16(k.BH());
  layer_grads g(k, 0.0f), g16(k, 0.0f);
  run(f32, g, h, hT, cT);
  run(b16, g16, h16, hT16, cT16);
  for (auto [a, b] : {std::pair{&h, &h16}, {&hT, &hT16}, {&cT, &cT16}}) {
    const double e = normalized_error(*b, *a);
    CHECK(e > 1e-5);
    CHECK(e < 2e-2);
  }
  for (auto [a, b] : {std::pair{&g.dx, &g16.dx}, {&g.dw_ih, &g16.dw_ih}, {&g.dw_hh, &g16.dw_hh}, {&g.db_ih, &g16.db_ih},
                      {&g.dh0, &g16.dh0}, {&g.dc0, &g16.dc0}}) {
    const double e = normalized_error(*b, *a);
    CHECK(e > 1e-5);
    CHECK(e < 5e-2);
  }
}
