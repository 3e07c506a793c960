// A plain double-precision LSTM for the tests: the oracle the float kernels are compared with and the
// function finite differences are taken of (so the numerical gradient carries no float rounding).
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "model/core/rng.h"

namespace pluma::test {

using dvec = std::vector<double>;

inline dvec to_double(const std::vector<float>& v) { return dvec(v.begin(), v.end()); }

inline std::vector<float> random_floats(rng& g, size_t n, float scale) {
  std::vector<float> v(n);
  for (auto& x : v) x = scale * (2.0f * g.uniform() - 1.0f);
  return v;
}

// h: (T, B, H) outputs; hT, cT: (B, H); x: (T, B, C); h0, c0: (B, H) or empty (zeros);
// w_ih: (4H, C); w_hh: (4H, H); b_ih, b_hh: (4H). Gates (i, f, g, o).
inline void lstm_layer_double(dvec& h, dvec& hT, dvec& cT, const dvec& x, const dvec& h0, const dvec& c0,
                              const dvec& w_ih, const dvec& w_hh, const dvec& b_ih, const dvec& b_hh, int T,
                              int B, int C, int H) {
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  h.assign(size_t(T) * B * H, 0.0);
  hT = h0.empty() ? dvec(size_t(B) * H, 0.0) : h0;
  cT = c0.empty() ? dvec(size_t(B) * H, 0.0) : c0;
  dvec pre(4 * size_t(H));
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) {
      const double* xt = &x[(size_t(t) * B + b) * C];
      double* hp = &hT[size_t(b) * H];
      double* cp = &cT[size_t(b) * H];
      for (int k = 0; k < 4 * H; k++) {
        double s = b_ih[k] + b_hh[k];
        for (int i = 0; i < C; i++) s += w_ih[size_t(k) * C + i] * xt[i];
        for (int j = 0; j < H; j++) s += w_hh[size_t(k) * H + j] * hp[j];
        pre[k] = s;
      }
      for (int j = 0; j < H; j++) {
        double ig = sig(pre[j]), fg = sig(pre[H + j]), gg = std::tanh(pre[2 * H + j]), og = sig(pre[3 * H + j]);
        cp[j] = fg * cp[j] + ig * gg;
        hp[j] = og * std::tanh(cp[j]);
        h[(size_t(t) * B + b) * H + j] = hp[j];
      }
    }
  }
}

// normalized error ||a - b|| / max(||a||, ||b||, tiny)
template <class A, class B>
double normalized_error(const A& a, const B& b) {
  double d = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); i++) {
    d += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    na += double(a[i]) * double(a[i]);
    nb += double(b[i]) * double(b[i]);
  }
  return std::sqrt(d) / std::max({std::sqrt(na), std::sqrt(nb), 1e-30});
}

template <class A, class B>
double max_abs_diff(const A& a, const B& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); i++) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

// central differences of f at v (every coordinate), step eps
template <class F>
dvec numerical_gradient(dvec& v, F&& f, double eps = 1e-6) {
  dvec g(v.size());
  for (size_t i = 0; i < v.size(); i++) {
    double keep = v[i];
    v[i] = keep + eps;
    double up = f();
    v[i] = keep - eps;
    double down = f();
    v[i] = keep;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

}  // namespace pluma::test
