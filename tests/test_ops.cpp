// CPU ops: finite-difference gradient checks over the whole op case registry, plus oracle comparisons
// (oneDNN matmul vs plain loops, attention vs a naive per-head version, decode vs full attention) and
// hand-computed values (cross-entropy, AdamW, dropout statistics).
#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/vec_math.h"
#include "model/ops/matmul.h"
#include "model/ops/mlp_gelu.h"
#include "model/ops/tensor_util.h"
#include "tests/op_cases.h"
#include "tests/normal_vector.h"
#include "tests/threads_scope.h"

using namespace pluma;
using pluma::testing::normal_vector;
using namespace pluma::op_test;

namespace {

// ||a - b|| / max(||a||, ||b||); 0 when both are zero
template <class A, class B>
double normalized_error(const A& a, const B& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0.0, na = 0.0, nb = 0.0;
  for (size_t i = 0; i < a.size(); i++) {
    const double x = a[i], y = b[i];
    diff += (x - y) * (x - y);
    na += x * x;
    nb += y * y;
  }
  const double denom = std::sqrt(std::max(na, nb));
  return denom == 0.0 ? 0.0 : std::sqrt(diff) / denom;
}

// The elements of an input that the finite-difference check perturbs: all, or fd_max spread evenly.
std::vector<size_t> probe_indices(size_t n, size_t fd_max) {
  std::vector<size_t> idx;
  const size_t k = std::min(n, fd_max);
  for (size_t j = 0; j < k; j++) idx.push_back(j * n / k);
  return idx;
}

const exec_context& host = cpu_context();

}  // namespace

TEST_CASE("every op case: backward adds the finite-difference gradient into every input gradient") {
  int checked = 0;
  for (const op_case& c : op_cases()) {
    if (!c.backward || !c.smooth) continue;
    INFO("case ", c.name);
    op_host_data d = make_host_data(c);
    // Gradients start as noise: a backward that overwrites instead of adding fails the comparison.
    std::vector<std::vector<float>> start;
    for (size_t i = 0; i < d.din.size(); i++) {
      for (size_t j = 0; j < d.din[i].size(); j++) d.din[i][j] = 0.5f * std::sin(3.0f * j + i);
      start.push_back(d.din[i]);
    }
    op_args args = d.args();
    c.forward(host, args);
    c.backward(host, args);

    for (size_t i = 0; i < c.inputs.size(); i++) {
      if (!c.inputs[i].grad) continue;
      INFO("input ", c.inputs[i].name);
      std::vector<double> analytic, numeric;
      for (size_t j : probe_indices(c.inputs[i].n, c.fd_max)) {
        analytic.push_back(static_cast<double>(d.din[i][j]) - start[i][j]);
        float& x = d.in[i][j];
        const float x0 = x;
        const float xp = static_cast<float>(x0 + c.fd_step), xm = static_cast<float>(x0 - c.fd_step);
        x = xp;
        c.forward(host, args);
        const double lp = d.loss();
        x = xm;
        c.forward(host, args);
        const double lm = d.loss();
        x = x0;
        numeric.push_back((lp - lm) / (static_cast<double>(xp) - xm));
      }
      double norm = 0.0;
      for (double v : numeric) norm += v * v;
      CHECK(norm > 1e-6);  // the check is not vacuous
      CHECK(normalized_error(analytic, numeric) < c.grad_tol);
      checked++;
    }
  }
  CHECK(checked >= 20);
}

TEST_CASE("every op case: forward and backward are deterministic run to run") {
  for (const op_case& c : op_cases()) {
    INFO("case ", c.name);
    op_host_data d1 = make_host_data(c), d2 = make_host_data(c);
    op_args a1 = d1.args(), a2 = d2.args();
    c.forward(host, a1);
    c.forward(host, a2);
    if (c.backward) {
      c.backward(host, a1);
      c.backward(host, a2);
    }
    CHECK(d1.out == d2.out);
    CHECK(d1.saved == d2.saved);
    CHECK(d1.din == d2.din);
    CHECK(d1.in == d2.in);
  }
}

TEST_CASE("every op case: one thread and two threads give the same results") {
  const int threads = omp_get_max_threads();
  for (const op_case& c : op_cases()) {
    INFO("case ", c.name);
    op_host_data d1 = make_host_data(c), d2 = make_host_data(c);
    op_args a1 = d1.args(), a2 = d2.args();
    omp_set_num_threads(1);
    c.forward(host, a1);
    if (c.backward) c.backward(host, a1);
    omp_set_num_threads(2);
    c.forward(host, a2);
    if (c.backward) c.backward(host, a2);
    CHECK(d1.out == d2.out);
    CHECK(d1.saved == d2.saved);
    CHECK(d1.din == d2.din);
    CHECK(d1.in == d2.in);
  }
  omp_set_num_threads(threads);
}

TEST_CASE("matmul: oneDNN matches the reference loops, and backward accumulates") {
  struct shape { int N, C, OC; };
  // N <= 4 takes the few-rows path (cpu/matmul_rows.h): whole and partial blocks of 8 outputs, C with and
  // without a partial vector, and an OC large enough to be split across threads
  for (shape s : {shape{768, 128, 384}, shape{768, 384, 128}, shape{7, 13, 5}, shape{1, 128, 65}, shape{1, 37, 13},
                  shape{3, 16, 8}, shape{4, 128, 512}, shape{2, 5, 3}, shape{5, 128, 69}}) {
    INFO("N=", s.N, " C=", s.C, " OC=", s.OC);
    const auto inp = normal_vector(size_t(s.N) * s.C, 1);
    const auto w = normal_vector(size_t(s.OC) * s.C, 2, 0.1f);
    const auto bias = normal_vector(size_t(s.OC), 3);
    const auto dout = normal_vector(size_t(s.N) * s.OC, 4);
    std::vector<float> out(size_t(s.N) * s.OC), ref_out(out.size());
    matmul_forward(host, out.data(), inp.data(), w.data(), bias.data(), s.N, s.C, s.OC);
    cpu::matmul_forward_reference(ref_out.data(), inp.data(), w.data(), bias.data(), s.N, s.C, s.OC);
    CHECK(normalized_error(out, ref_out) < 1e-6);

    std::vector<float> out_nb(out.size()), ref_nb(out.size());
    matmul_forward(host, out_nb.data(), inp.data(), w.data(), nullptr, s.N, s.C, s.OC);
    cpu::matmul_forward_reference(ref_nb.data(), inp.data(), w.data(), nullptr, s.N, s.C, s.OC);
    CHECK(normalized_error(out_nb, ref_nb) < 1e-6);

    // gradients start non-zero: backward must add to them, and twice must add twice
    std::vector<float> dinp = normal_vector(inp.size(), 5), dw = normal_vector(w.size(), 6),
                       db = normal_vector(bias.size(), 7);
    const auto dinp0 = dinp, dw0 = dw, db0 = db;
    std::vector<float> rdinp(inp.size()), rdw(w.size()), rdb(bias.size());
    cpu::matmul_backward_reference(rdinp.data(), rdw.data(), rdb.data(), dout.data(), inp.data(), w.data(),
                                   s.N, s.C, s.OC);
    for (int rep = 1; rep <= 2; rep++) {
      matmul_backward(host, dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), s.N, s.C, s.OC);
      auto added = [&](const std::vector<float>& now, const std::vector<float>& before) {
        std::vector<double> v(now.size());
        for (size_t i = 0; i < v.size(); i++) v[i] = (static_cast<double>(now[i]) - before[i]) / rep;
        return v;
      };
      INFO("backward call ", rep);
      CHECK(normalized_error(added(dinp, dinp0), rdinp) < 1e-5);
      CHECK(normalized_error(added(dw, dw0), rdw) < 1e-5);
      CHECK(normalized_error(added(db, db0), rdb) < 1e-5);
    }
    // dinp may be skipped
    std::vector<float> dw2(w.size(), 0.0f);
    matmul_backward(host, nullptr, dw2.data(), nullptr, dout.data(), inp.data(), w.data(), s.N, s.C, s.OC);
    CHECK(normalized_error(dw2, rdw) < 1e-5);
  }
}

TEST_CASE("matmul in bf16: the fp32-accumulated products of the operands rounded to bfloat16") {
  const int N = 300, C = 96, OC = 80;
  const auto inp = normal_vector(size_t(N) * C, 11), w = normal_vector(size_t(OC) * C, 12, 0.1f);
  const auto bias = normal_vector(size_t(OC), 13), dout = normal_vector(size_t(N) * OC, 14);
  auto rounded = [](const std::vector<float>& x) {   // bf16 -> float: the bits in the high half
    std::vector<uint16_t> h(x.size());
    cpu::to_bf16(h.data(), x.data(), x.size());
    std::vector<float> r(x.size());
    for (size_t i = 0; i < x.size(); i++) {
      const uint32_t bits = uint32_t(h[i]) << 16;
      std::memcpy(&r[i], &bits, sizeof bits);
    }
    return r;
  };
  // round to nearest even, by hand: 1 + 2^-8 is a tie (down to 1), 1 + 3 * 2^-8 one (up to 1 + 2^-6)
  CHECK(rounded({1.0f + 1.0f / 256})[0] == 1.0f);
  CHECK(rounded({1.0f + 3.0f / 256})[0] == 1.0f + 1.0f / 64);
  CHECK(rounded({-2.5f})[0] == -2.5f);
  const auto inp16 = rounded(inp), w16 = rounded(w), dout16 = rounded(dout);

  std::vector<float> out(size_t(N) * OC), ref(out.size()), fp32(out.size());
  matmul_forward(host, fp32.data(), inp.data(), w.data(), bias.data(), N, C, OC);
  matmul_set_bf16(true);
  matmul_forward(host, out.data(), inp.data(), w.data(), bias.data(), N, C, OC);
  std::vector<float> dinp(inp.size()), dw(w.size()), db(bias.size());
  matmul_backward(host, dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), N, C, OC);
  matmul_set_bf16(false);
  cpu::matmul_forward_reference(ref.data(), inp16.data(), w16.data(), bias.data(), N, C, OC);
  CHECK(normalized_error(out, ref) < 1e-6);
  const double off = normalized_error(out, fp32);
  CHECK(off > 1e-5);   // the rounding is real ...
  CHECK(off < 1e-2);   // ... and within bfloat16's 8 bits
  std::vector<float> rdinp(inp.size()), rdw(w.size()), rdb(bias.size());
  cpu::matmul_backward_reference(rdinp.data(), rdw.data(), rdb.data(), dout16.data(), inp16.data(), w16.data(), N,
                                 C, OC);
  CHECK(normalized_error(dinp, rdinp) < 1e-5);
  CHECK(normalized_error(dw, rdw) < 1e-5);
  // the bias gradient sums dout in fp32 (no product)
  std::vector<float> rdb32(bias.size()), unused_dinp(inp.size()), unused_dw(w.size());
  cpu::matmul_backward_reference(unused_dinp.data(), unused_dw.data(), rdb32.data(), dout.data(), inp.data(),
                                 w.data(), N, C, OC);
  CHECK(normalized_error(db, rdb32) < 1e-6);
}

TEST_CASE("matmul: one primitive per shape and kind, reused on later calls") {
  const int N = 9, C = 11, OC = 6;
  const auto inp = normal_vector(size_t(N) * C, 1), w = normal_vector(size_t(OC) * C, 2);
  std::vector<float> out(size_t(N) * OC), dinp(inp.size()), dw(w.size()), dout = normal_vector(out.size(), 3);
  matmul_forward(host, out.data(), inp.data(), w.data(), nullptr, N, C, OC);
  matmul_backward(host, dinp.data(), dw.data(), nullptr, dout.data(), inp.data(), w.data(), N, C, OC);
  const size_t warm = cpu::gemm_primitive_count();
  for (int i = 0; i < 3; i++) {
    matmul_forward(host, out.data(), inp.data(), w.data(), nullptr, N, C, OC);
    matmul_backward(host, dinp.data(), dw.data(), nullptr, dout.data(), inp.data(), w.data(), N, C, OC);
  }
  CHECK(cpu::gemm_primitive_count() == warm);
  matmul_forward(host, out.data(), inp.data(), w.data(), nullptr, N, C, OC - 1);  // a new shape
  CHECK(cpu::gemm_primitive_count() == warm + 1);
}

TEST_CASE("gemm_rows_side_by_side: a forward product's two halves of rows at once, the same bits as one product") {
  const int threads = omp_get_max_threads();
  for (int t : {1, 2}) {
    CAPTURE(t);
    omp_set_num_threads(t);
    std::vector<std::pair<int64_t, int64_t>> ran;
    std::vector<std::thread::id> on;
    std::mutex mu;
    const bool split = cpu::gemm_rows_side_by_side(200, 256, 512, [&](int64_t r0, int64_t r1) {
      std::lock_guard<std::mutex> lock(mu);
      ran.emplace_back(r0, r1);
      on.push_back(std::this_thread::get_id());
    });
    CHECK(split == (t == 2));
    if (split) {   // rows [0, 112) and [112, 200): the first half a multiple of 16, on two threads
      std::sort(ran.begin(), ran.end());
      CHECK(ran == std::vector<std::pair<int64_t, int64_t>>{{0, 112}, {112, 200}});
      CHECK(on[0] != on[1]);
    } else {
      CHECK(ran.empty());   // the caller runs its usual path
    }
    // too small a product, or a half of too few rows (even where its product would be worth it): no split, and
    // nothing run
    bool called = false;
    const auto mark = [&](int64_t, int64_t) { called = true; };
    CHECK_FALSE(cpu::gemm_rows_side_by_side(200, 8, 8, mark));
    CHECK_FALSE(cpu::gemm_rows_side_by_side(16, 4096, 4096, mark));
    CHECK_FALSE(cpu::gemm_rows_side_by_side(127, 4096, 4096, mark));   // halves of 64 and 63 rows
    CHECK_FALSE(called);
  }
  // The baby GPT's qkv and MLP products with their biases (and the GELU epilogue), fp32 and bf16 copies: two
  // threads (halves side by side) give the bits of one
  const int N = 768, C = 128, OC = 512;
  const auto inp = normal_vector(size_t(N) * C, 7), w = normal_vector(size_t(OC) * C, 8), b = normal_vector(OC, 9);
  std::vector<uint16_t> inp16(inp.size()), w16(w.size());
  cpu::to_bf16(inp16.data(), inp.data(), inp.size());
  cpu::to_bf16(w16.data(), w.data(), w.size());
  for (bool bf16 : {false, true}) {
    CAPTURE(bf16);
    matmul_set_bf16(bf16);
    const operand x = bf16 ? operand(inp16.data()) : operand(inp.data());
    const operand wt = bf16 ? operand(w16.data()) : operand(w.data());
    std::vector<std::vector<float>> got;
    for (int t : {1, 2}) {
      omp_set_num_threads(t);
      std::vector<float> out(size_t(N) * OC), saved(out.size()), gelu(out.size());
      matmul_forward(host, out.data(), x, wt, b.data(), N, C, OC);
      matmul_gelu_forward(host, saved.data(), gelu.data(), x, wt, b.data(), N, C, OC);
      out.insert(out.end(), saved.begin(), saved.end());
      out.insert(out.end(), gelu.begin(), gelu.end());
      got.push_back(out);
    }
    CHECK(std::memcmp(got[0].data(), got[1].data(), got[0].size() * sizeof(float)) == 0);
  }
  matmul_set_bf16(false);
  omp_set_num_threads(threads);
}

TEST_CASE("gemm_side_by_side: two products at once on two threads, the same bits as one after the other") {
  const int threads = omp_get_max_threads();
  // the calls' threads: side by side, one each; otherwise both on the caller's
  for (int t : {1, 2}) {
    CAPTURE(t);
    omp_set_num_threads(t);
    std::thread::id first_on, second_on;
    const bool pair = cpu::gemm_side_by_side(
        cpu::gemm_parallel_min_macs, [&] { first_on = std::this_thread::get_id(); },
        [&] { second_on = std::this_thread::get_id(); });
    CHECK(pair == (t == 2));
    CHECK((first_on != second_on) == (t == 2));
    CHECK(first_on == std::this_thread::get_id());
    // too small a product: one after the other
    CHECK_FALSE(cpu::gemm_side_by_side(cpu::gemm_parallel_min_macs - 1, [] {}, [] {}));
  }
  // A Linear layer's backward at the baby GPT's size (both products side by side on two threads) against one
  // thread, fp32 and bf16, adding into dinp and overwriting it
  const int N = 768, C = 128, OC = 384;
  const auto inp = normal_vector(size_t(N) * C, 4), w = normal_vector(size_t(OC) * C, 5);
  const auto dout = normal_vector(size_t(N) * OC, 6);
  for (bool bf16 : {false, true}) {
    for (grad_write write : {grad_write::add, grad_write::overwrite}) {
      CAPTURE(bf16);
      CAPTURE(write == grad_write::add);
      matmul_set_bf16(bf16);
      std::vector<std::vector<float>> got;
      for (int t : {1, 2}) {
        omp_set_num_threads(t);
        std::vector<float> dinp(inp.size(), 0.5f), dw(w.size(), 0.25f), db(OC, 0.125f);
        matmul_backward(host, dinp.data(), dw.data(), db.data(), dout.data(), inp.data(), w.data(), N, C, OC, write);
        dinp.insert(dinp.end(), dw.begin(), dw.end());
        dinp.insert(dinp.end(), db.begin(), db.end());
        got.push_back(dinp);
      }
      matmul_set_bf16(false);
      CHECK(std::memcmp(got[0].data(), got[1].data(), got[0].size() * sizeof(float)) == 0);
    }
  }
  omp_set_num_threads(threads);
}

// Causal attention forward and backward one head and one row at a time, in double.
struct naive_attention {
  std::vector<double> out, att, dqkv;
  naive_attention(const std::vector<float>& qkv, const std::vector<float>& dout, int B, int T, int C, int NH)
      : out(size_t(B) * T * C), att(size_t(B) * NH * T * T, 0.0), dqkv(qkv.size(), 0.0) {
    const int HS = C / NH;
    const double scale = 1.0 / std::sqrt(double(HS));
    auto idx = [&](int b, int t, int part, int h, int i) { return (size_t(b) * T + t) * 3 * C + part * C + h * HS + i; };
    for (int b = 0; b < B; b++) {
      for (int h = 0; h < NH; h++) {
        for (int t = 0; t < T; t++) {
          std::vector<double> p(t + 1), dp(t + 1);
          double maxv = -1e300, sum = 0.0, pdp = 0.0;
          for (int t2 = 0; t2 <= t; t2++) {
            double dot = 0.0;
            for (int i = 0; i < HS; i++) dot += double(qkv[idx(b, t, 0, h, i)]) * qkv[idx(b, t2, 1, h, i)];
            p[t2] = dot * scale;
            maxv = std::max(maxv, p[t2]);
          }
          for (auto& x : p) sum += (x = std::exp(x - maxv));
          for (auto& x : p) x /= sum;
          const size_t o = (size_t(b) * T + t) * C + h * HS;
          for (int t2 = 0; t2 <= t; t2++) {
            att[((size_t(b) * NH + h) * T + t) * T + t2] = p[t2];
            for (int i = 0; i < HS; i++) {
              out[o + i] += p[t2] * qkv[idx(b, t2, 2, h, i)];
              dp[t2] += double(dout[o + i]) * qkv[idx(b, t2, 2, h, i)];
              dqkv[idx(b, t2, 2, h, i)] += p[t2] * dout[o + i];
            }
            pdp += p[t2] * dp[t2];
          }
          for (int t2 = 0; t2 <= t; t2++) {
            const double ds = p[t2] * (dp[t2] - pdp) * scale;
            for (int i = 0; i < HS; i++) {
              dqkv[idx(b, t, 0, h, i)] += ds * qkv[idx(b, t2, 1, h, i)];
              dqkv[idx(b, t2, 1, h, i)] += ds * qkv[idx(b, t, 0, h, i)];
            }
          }
        }
      }
    }
  }
};

TEST_CASE("attention forward and backward match a naive per-head computation in double") {
  struct shape { int B, T, C, NH; };
  // the second shape is long enough that backward works through the batch in chunks (3 + 1)
  for (shape s : {shape{2, 37, 48, 3}, shape{4, 400, 16, 2}}) {
    INFO("B=", s.B, " T=", s.T, " C=", s.C, " NH=", s.NH);
    const auto qkv = normal_vector(size_t(s.B) * s.T * 3 * s.C, 5);
    const auto dout = normal_vector(size_t(s.B) * s.T * s.C, 6);
    std::vector<float> out(dout.size()), att(size_t(s.B) * s.NH * s.T * s.T, -1.0f), dqkv(qkv.size(), 0.0f);
    attention_forward(host, out.data(), att.data(), qkv.data(), s.B, s.T, s.C, s.NH);
    attention_backward(host, dqkv.data(), dout.data(), qkv.data(), att.data(), s.B, s.T, s.C, s.NH);
    const naive_attention ref(qkv, dout, s.B, s.T, s.C, s.NH);
    CHECK(normalized_error(out, ref.out) < 1e-6);
    CHECK(normalized_error(att, ref.att) < 1e-6);  // including the zeros above the diagonal
    CHECK(normalized_error(dqkv, ref.dqkv) < 1e-5);
    // overwriting: the same gradient over whatever was there (NaN), bit for bit; adding keeps it
    std::vector<float> over(qkv.size(), std::nanf("")), twice = dqkv;
    attention_backward(host, over.data(), dout.data(), qkv.data(), att.data(), s.B, s.T, s.C, s.NH,
                       grad_write::overwrite);
    CHECK(over == dqkv);
    attention_backward(host, twice.data(), dout.data(), qkv.data(), att.data(), s.B, s.T, s.C, s.NH);
    for (auto& x : over) x *= 2.0f;
    CHECK(normalized_error(twice, over) < 1e-6);
  }
}

TEST_CASE("attention_decode equals the last row of attention_forward at every length") {
  const int B = 2, T = 9, maxT = 12, C = 20, NH = 4, HS = C / NH;
  const auto qkv = normal_vector(size_t(B) * T * 3 * C, 8);
  std::vector<float> out(size_t(B) * T * C), att(size_t(B) * NH * T * T);
  attention_forward(host, out.data(), att.data(), qkv.data(), B, T, C, NH);
  // caches (B, NH, maxT, HS) filled from the k and v columns; unused tail left as garbage on purpose
  std::vector<float> kc = normal_vector(size_t(B) * NH * maxT * HS, 9, 100.0f), vc = kc;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      for (int h = 0; h < NH; h++)
        for (int i = 0; i < HS; i++) {
          const size_t src = (size_t(b) * T + t) * 3 * C + h * HS + i;
          const size_t dst = ((size_t(b) * NH + h) * maxT + t) * HS + i;
          kc[dst] = qkv[src + C];
          vc[dst] = qkv[src + 2 * C];
        }
  for (int len = 1; len <= T; len++) {
    INFO("len ", len);
    std::vector<float> q(size_t(B) * C), o(size_t(B) * C), expect(size_t(B) * C);
    for (int b = 0; b < B; b++) {
      std::memcpy(&q[size_t(b) * C], &qkv[(size_t(b) * T + len - 1) * 3 * C], C * sizeof(float));
      std::memcpy(&expect[size_t(b) * C], &out[(size_t(b) * T + len - 1) * C], C * sizeof(float));
    }
    attention_decode(host, o.data(), q.data(), kc.data(), vc.data(), B, len, maxT, C, NH);
    CHECK(normalized_error(o, expect) < 1e-6);
  }
}

TEST_CASE("softmax_xent: hand-computed losses, ignored targets, label smoothing") {
  // row 0: logits (1, 2, 3), target 2; row 1: ignored; row 2: logits (0, 0, 0), target 0
  const std::vector<float> logits = {1, 2, 3, 5, -5, 0, 0, 0, 0};
  const std::vector<int> targets = {2, -1, 0};
  std::vector<float> losses(3, 42.0f), probs(9);
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));  // 3.40760596...
  softmax_xent_forward(host, losses.data(), probs.data(), logits.data(), targets.data(), 3, 3);
  CHECK(losses[0] == doctest::Approx(lse - 3.0).epsilon(1e-6));
  CHECK(losses[1] == 0.0f);
  CHECK(losses[2] == doctest::Approx(std::log(3.0)).epsilon(1e-6));
  CHECK(probs[0] == doctest::Approx(std::exp(1.0 - lse)).epsilon(1e-6));
  CHECK(probs[8] == doctest::Approx(1.0 / 3).epsilon(1e-6));

  // smoothing eps: (1 - eps) * nll + eps * mean_c(-log p_c); for row 0, mean_c(-log p_c) = lse - 2
  const float eps = 0.1f;
  softmax_xent_forward(host, losses.data(), probs.data(), logits.data(), targets.data(), 3, 3, eps);
  CHECK(losses[0] == doctest::Approx((1 - eps) * (lse - 3.0) + eps * (lse - 2.0)).epsilon(1e-6));
  CHECK(losses[1] == 0.0f);
  CHECK(losses[2] == doctest::Approx(std::log(3.0)).epsilon(1e-6));  // uniform: smoothing changes nothing

  // backward: dlogits += dl * (p - (1 - eps) * onehot - eps / V); the ignored row stays untouched
  std::vector<float> dlogits(9, 1.0f);
  const std::vector<float> dl = {0.5f, 0.5f, 2.0f};
  softmax_xent_backward(host, dlogits.data(), dl.data(), probs.data(), targets.data(), 3, 3, eps);
  for (int c = 0; c < 3; c++) {
    const double p = std::exp((c + 1) - lse);
    CHECK(dlogits[c] == doctest::Approx(1.0 + 0.5 * (p - (c == 2 ? 1 - eps : 0.0) - eps / 3)).epsilon(1e-6));
    CHECK(dlogits[3 + c] == 1.0f);
    CHECK(dlogits[6 + c] == doctest::Approx(1.0 + 2.0 * (1.0 / 3 - (c == 0 ? 1 - eps : 0.0) - eps / 3)).epsilon(1e-6));
  }

  // extreme logits stay finite
  const std::vector<float> big = {1000.0f, -1000.0f, 0.0f};
  const std::vector<int> t1 = {1};
  softmax_xent_forward(host, losses.data(), probs.data(), big.data(), t1.data(), 1, 3);
  CHECK(losses[0] == doctest::Approx(2000.0).epsilon(1e-6));
  CHECK(probs[0] == 1.0f);
}

TEST_CASE("dropout: p = 0 is the identity; the mask keeps 1-p of the values, scaled, drawn in index order") {
  const long N = 200001;
  const auto inp = normal_vector(size_t(N), 10);
  std::vector<float> out(N), mask(N);
  rng gen(5);
  const rng before = gen;
  dropout_forward(host, out.data(), mask.data(), inp.data(), N, 0.0f, gen);
  CHECK(out == inp);
  CHECK(std::all_of(mask.begin(), mask.end(), [](float m) { return m == 1.0f; }));
  CHECK(gen.state == before.state);  // p = 0 draws nothing

  const float p = 0.3f;
  rng seq = gen;
  dropout_forward(host, out.data(), mask.data(), inp.data(), N, p, gen);
  long dropped = 0;
  bool scaled = true, in_order = true, applied = true;
  for (long i = 0; i < N; i++) {
    dropped += mask[i] == 0.0f;
    scaled &= mask[i] == 0.0f || mask[i] == 1.0f / (1.0f - p);
    in_order &= (mask[i] != 0.0f) == (seq.uniform() >= p);
    applied &= out[i] == inp[i] * mask[i];
  }
  CHECK(std::abs(double(dropped) / N - p) < 0.005);
  CHECK(scaled);
  CHECK(in_order);
  CHECK(applied);
  CHECK(gen.state == seq.state);  // advanced by exactly N draws

  std::vector<float> dinp(N, 1.0f), dout = normal_vector(size_t(N), 11);
  dropout_backward(host, dinp.data(), dout.data(), mask.data(), N);
  bool backward_ok = true;
  for (long i = 0; i < N; i++) backward_ok &= dinp[i] == 1.0f + dout[i] * mask[i];
  CHECK(backward_ok);
}

TEST_CASE("adamw: two steps match a hand computation in double") {
  const size_t n = 5;
  std::vector<float> p = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f}, m(n, 0.0f), v(n, 0.0f);
  const std::vector<std::vector<float>> grads = {{0.1f, -0.2f, 0.3f, 0.0f, 1e-4f}, {-0.3f, 0.1f, 0.2f, 0.5f, 2.0f}};
  std::vector<double> pd(p.begin(), p.end()), md(n, 0.0), vd(n, 0.0);
  adamw_params hp{.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f};
  const float grad_scale = 0.5f;
  for (int step = 1; step <= 2; step++) {
    hp.step = step;
    adamw_update(host, p.data(), grads[step - 1].data(), m.data(), v.data(), n, hp, grad_scale);
    for (size_t i = 0; i < n; i++) {
      const double g = double(grads[step - 1][i]) * grad_scale;
      pd[i] -= double(hp.lr) * hp.weight_decay * pd[i];
      md[i] = hp.beta1 * md[i] + (1.0 - hp.beta1) * g;
      vd[i] = hp.beta2 * vd[i] + (1.0 - hp.beta2) * g * g;
      const double mhat = md[i] / (1.0 - std::pow(double(hp.beta1), step));
      const double vhat = vd[i] / (1.0 - std::pow(double(hp.beta2), step));
      pd[i] -= hp.lr * mhat / (std::sqrt(vhat) + hp.eps);
    }
  }
  for (size_t i = 0; i < n; i++) {
    INFO("i ", i);
    CHECK(p[i] == doctest::Approx(pd[i]).epsilon(1e-6));
    CHECK(m[i] == doctest::Approx(md[i]).epsilon(1e-6));
    CHECK(v[i] == doctest::Approx(vd[i]).epsilon(1e-6));
  }
  // a zero gradient with zero moments moves the parameter by weight decay only
  CHECK(p[3] == doctest::Approx(pd[3]));
}

TEST_CASE("adam's L2 term equals adding l2 * param to the scaled gradient first") {
  const size_t n = 7;
  std::vector<float> p(n), g(n), m(n, 0.01f), v(n, 0.02f);
  for (size_t i = 0; i < n; i++) p[i] = 0.3f * float(i) - 1.0f, g[i] = 0.1f - 0.05f * float(i);
  std::vector<float> p2 = p, m2 = m, v2 = v, folded(n);
  adamw_params hp{.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f, .l2 = 0.2f, .step = 4};
  adamw_update(host, p.data(), g.data(), m.data(), v.data(), n, hp, 0.5f);
  for (size_t i = 0; i < n; i++) folded[i] = g[i] * 0.5f + 0.2f * p2[i];
  hp.l2 = 0.0f;
  adamw_update(host, p2.data(), folded.data(), m2.data(), v2.data(), n, hp, 1.0f);
  for (size_t i = 0; i < n; i++) {
    INFO("i ", i);
    CHECK(p[i] == doctest::Approx(p2[i]).epsilon(1e-6));
    CHECK(m[i] == doctest::Approx(m2[i]).epsilon(1e-6));
    CHECK(v[i] == doctest::Approx(v2[i]).epsilon(1e-6));
  }
}

TEST_CASE("adamw_update_spans: the bits of one call per span, on one thread and two, gaps untouched") {
  // small spans and large ones, decaying and not, an empty one, with gaps between
  const std::vector<adamw_span> spans = {{0, 5, true}, {5, 70000, false}, {70016, 33, true}, {70049, 0, false},
                                         {70049, 40000, true}, {110100, 3, false}};
  const size_t n = 110103;
  std::vector<float> p0(n), g(n), m0(n), v0(n);
  rng r(8);
  for (size_t i = 0; i < n; i++) p0[i] = r.normal(), g[i] = r.normal(), m0[i] = 0.1f * r.normal(), v0[i] = r.uniform();
  adamw_params hp{.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .step = 3};
  adamw_params hpd = hp;
  hpd.weight_decay = 0.1f;
  std::vector<float> p1 = p0, m1 = m0, v1 = v0;
  for (const adamw_span& s : spans)
    adamw_update(host, p1.data() + s.offset, g.data() + s.offset, m1.data() + s.offset, v1.data() + s.offset, s.n,
                 s.decay ? hpd : hp, 0.7f);
  for (int t : {1, 2, 3}) {
    CAPTURE(t);
    threads_scope threads(t);
    std::vector<float> p2 = p0, m2 = m0, v2 = v0;
    adamw_update_spans(host, p2.data(), g.data(), m2.data(), v2.data(), spans, hp, hpd, 0.7f);
    CHECK(std::memcmp(p1.data(), p2.data(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(m1.data(), m2.data(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(v1.data(), v2.data(), n * sizeof(float)) == 0);
    CHECK(p2[70005] == p0[70005]);   // a gap between spans
  }
}

TEST_CASE("tensor_sumsq: the sum of squares in double, the same on one and two threads") {
  std::vector<float> x(100003);
  rng g(3);
  for (auto& e : x) e = g.normal();
  double expect = 0;
  for (float e : x) expect += double(e) * e;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = tensor_sumsq(host, x.data(), long(x.size()));
  omp_set_num_threads(2);
  const double two = tensor_sumsq(host, x.data(), long(x.size()));
  omp_set_num_threads(threads);
  CHECK(one == doctest::Approx(expect).epsilon(1e-12));
  CHECK(one == two);
  CHECK(tensor_sumsq(host, x.data(), 0) == 0.0);
}

TEST_CASE("layernorm saves mean and rstd with the biased variance") {
  const std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> w = {1, 1, 1, 1};
  std::vector<float> out(4), mean(1), rstd(1);
  layernorm_forward(host, out.data(), mean.data(), rstd.data(), x.data(), w.data(), nullptr, 1, 4);
  CHECK(mean[0] == doctest::Approx(2.5));
  CHECK(rstd[0] == doctest::Approx(1.0 / std::sqrt(1.25 + 1e-5)).epsilon(1e-6));
  CHECK(out[0] == doctest::Approx(-1.5 / std::sqrt(1.25 + 1e-5)).epsilon(1e-6));
}

TEST_CASE("gelu is the exact erf form") {
  const std::vector<float> x = {-3.0f, -0.5f, 0.0f, 1.0f, 2.5f};
  std::vector<float> y(x.size());
  gelu_forward(host, y.data(), x.data(), long(x.size()));
  for (size_t i = 0; i < x.size(); i++)
    CHECK(y[i] == doctest::Approx(0.5 * x[i] * (1.0 + std::erf(x[i] / std::sqrt(2.0)))).epsilon(1e-6));
  CHECK(y[3] == doctest::Approx(0.8413447460685429).epsilon(1e-6));  // Phi(1)
}

TEST_CASE("vectorizable exp and normal CDF match the library functions to a few ulp") {
  double worst_exp = 0.0;
  for (double x = -87.0; x <= 88.0; x += 0.00731) {
    const double ref = std::exp(double(float(x)));
    worst_exp = std::max(worst_exp, std::abs(cpu::exp_approx(float(x)) / ref - 1.0));
  }
  CHECK(worst_exp < 3e-7);
  CHECK(cpu::exp_approx(0.0f) == 1.0f);
  CHECK(cpu::exp_approx(-100.0f) == 0.0f);
  CHECK(cpu::exp_approx(-INFINITY) == 0.0f);

  double worst_cdf = 0.0, worst_pdf = 0.0;
  for (double x = -12.0; x <= 12.0; x += 0.000997) {
    const double xf = double(float(x));
    float cdf, pdf;
    cpu::normal_cdf_pdf(float(x), cdf, pdf);
    const double ref_cdf = 0.5 * std::erfc(-xf / std::sqrt(2.0));
    const double ref_pdf = std::exp(-0.5 * xf * xf) / std::sqrt(2.0 * M_PI);
    worst_cdf = std::max(worst_cdf, std::abs(cdf / ref_cdf - 1.0));
    worst_pdf = std::max(worst_pdf, std::abs(pdf / ref_pdf - 1.0));
  }
  CHECK(worst_cdf < 1e-6);
  CHECK(worst_pdf < 1e-6);
}

TEST_CASE("16-lane exp, horizontal sum and max, and the padded-row softmax") {
  double worst = 0.0;
  for (double x0 = -87.0; x0 + 15 * 0.00731 <= 88.0; x0 += 16 * 0.00731) {
    cpu::vec16 x;
    for (int l = 0; l < cpu::vec_width; l++) x[l] = float(x0 + l * 0.00731);
    const cpu::vec16 e = cpu::vec_exp(x);
    for (int l = 0; l < cpu::vec_width; l++) worst = std::max(worst, std::abs(e[l] / std::exp(double(x[l])) - 1.0));
  }
  CHECK(worst < 3e-7);
  cpu::vec16 x = cpu::vec_splat(0.0f);
  x[3] = -100.0f, x[4] = -INFINITY, x[5] = 0.5f;
  const cpu::vec16 e = cpu::vec_exp(x);
  CHECK(e[0] == 1.0f);
  CHECK(e[3] == 0.0f);
  CHECK(e[4] == 0.0f);
  for (int l = 0; l < cpu::vec_width; l++) x[l] = float(l * l % 7) - 3.0f;
  CHECK(cpu::vec_sum(x) == doctest::Approx(0.0 + 1 + 4 + 2 + 2 + 4 + 1 + 0 + 1 + 4 + 2 + 2 + 4 + 1 + 0 + 1 - 48));
  CHECK(cpu::vec_max(x) == 1.0f);   // l*l % 7 is at most 4

  for (int len : {1, 5, 16, 17, 40}) {
    INFO("len ", len);
    std::vector<float> row(48, 123.0f);   // garbage past len must not leak in
    for (int j = 0; j < len; j++) row[j] = 0.37f * float(j % 11) - 1.0f;
    std::vector<double> ref(len);
    double maxv = -1e300, sum = 0.0;
    for (int j = 0; j < len; j++) maxv = std::max(maxv, double(row[j]));
    for (int j = 0; j < len; j++) sum += ref[j] = std::exp(double(row[j]) - maxv);
    cpu::softmax_padded(row.data(), len);
    for (int j = 0; j < len; j++) CHECK(row[j] == doctest::Approx(ref[j] / sum).epsilon(1e-6));
    for (int j = len; j < (len + 15) / 16 * 16; j++) CHECK(row[j] == 0.0f);
  }
}
