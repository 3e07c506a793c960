// word2vec_kernels: the inner steps of word2vec with negative sampling, one window at a time.
// Output row 0 is the positive (the centre word, label 1); rows 1..o-1 are the negatives (label 0).
// HogBatch (Ji et al. 2016): skip-gram's m context rows meet the o output rows in three small
// matrix products — scores S = In · Outᵀ (m, o), G = alpha (label - σ(S)), dIn = G · Out, dOut = Gᵀ · In —
// both updates computed from the rows as read (Hogwild: other threads may write them meanwhile).
#pragma once
#include <cmath>

namespace pluma::w2v {

// σ(x) from a table on [-max_exp, max_exp], 0 and 1 outside (as word2vec.c).
struct sigmoid_table {
  static constexpr int size = 1024;
  static constexpr float max_exp = 6.0f;
  float v[size + 1];
  sigmoid_table() {
    for (int i = 0; i <= size; i++) {
      double x = (2.0 * i / size - 1.0) * max_exp;
      v[i] = static_cast<float>(1.0 / (1.0 + std::exp(-x)));
    }
  }
  float operator()(float x) const {
    if (x >= max_exp) return 1.0f;
    if (x <= -max_exp) return 0.0f;
    return v[static_cast<int>((x + max_exp) * (size / max_exp / 2))];
  }
};

inline float dot(const float* __restrict a, const float* __restrict b, int D) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int k = 0; k < D; k++) s += a[k] * b[k];
  return s;
}

inline void axpy(float* __restrict y, float a, const float* __restrict x, int D) {
#pragma omp simd
  for (int k = 0; k < D; k++) y[k] += a * x[k];
}

// Skip-gram, one window. in: (m) rows of the input table; out: (o) rows of the output table.
// G: (m, o) and dIn: (m, D) scratch.
inline void skipgram_window(float* const* in, int m, float* const* out, int o, int D, float alpha,
                            const sigmoid_table& sig, float* G, float* dIn) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < o; j++) G[i * o + j] = dot(in[i], out[j], D);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < o; j++) G[i * o + j] = alpha * ((j == 0 ? 1.0f : 0.0f) - sig(G[i * o + j]));
  for (int i = 0; i < m; i++) {   // dIn = G · Out
    float* d = dIn + static_cast<size_t>(i) * D;
    for (int k = 0; k < D; k++) d[k] = 0;
    for (int j = 0; j < o; j++) axpy(d, G[i * o + j], out[j], D);
  }
  for (int j = 0; j < o; j++)     // Out += Gᵀ · In
    for (int i = 0; i < m; i++) axpy(out[j], G[i * o + j], in[i], D);
  for (int i = 0; i < m; i++) axpy(in[i], 1.0f, dIn + static_cast<size_t>(i) * D, D);
}

// CBOW, one window: h = mean of the m context rows predicts the o outputs; every context row gets the
// whole error (as word2vec.c and gensim with cbow_mean). h, dh: (D) scratch.
inline void cbow_window(float* const* in, int m, float* const* out, int o, int D, float alpha,
                        const sigmoid_table& sig, float* h, float* dh) {
  for (int k = 0; k < D; k++) { h[k] = 0; dh[k] = 0; }
  for (int i = 0; i < m; i++) axpy(h, 1.0f, in[i], D);
  float inv = 1.0f / static_cast<float>(m);
  for (int k = 0; k < D; k++) h[k] *= inv;
  for (int j = 0; j < o; j++) {
    float g = alpha * ((j == 0 ? 1.0f : 0.0f) - sig(dot(h, out[j], D)));
    axpy(dh, g, out[j], D);
    axpy(out[j], g, h, D);
  }
  for (int i = 0; i < m; i++) axpy(in[i], 1.0f, dh, D);
}

}  // namespace pluma::w2v
