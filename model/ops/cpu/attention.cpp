// Causal multi-head attention on the CPU: one (batch, head) pair per OpenMP task; each pair reads and writes
// only its own head's columns, so no two threads touch the same output and results do not depend on threads.
#include <cmath>
#include <limits>
#include <vector>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"

namespace pluma::cpu {

namespace {

inline float dot(const float* a, const float* b, int n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

inline void axpy(float* y, float a, const float* x, int n) {
#pragma omp simd
  for (int i = 0; i < n; i++) y[i] += a * x[i];
}

// scores[t2] = scale * q·k_t2 for t2 < len, then softmax in place; k_t2 = k + t2 * kstride
inline void attention_probs(float* scores, const float* q, const float* k, long kstride, int len, int HS,
                            float scale) {
  float maxv = -std::numeric_limits<float>::infinity();
  for (int t2 = 0; t2 < len; t2++) {
    scores[t2] = scale * dot(q, k + t2 * kstride, HS);
    maxv = std::max(maxv, scores[t2]);
  }
  float sum = 0.0f;
  for (int t2 = 0; t2 < len; t2++) {
    scores[t2] = std::exp(scores[t2] - maxv);
    sum += scores[t2];
  }
  const float inv = 1.0f / sum;
  for (int t2 = 0; t2 < len; t2++) scores[t2] *= inv;
}

// o (HS) = sum over t2 < len of probs[t2] * v_t2, v_t2 = v + t2 * vstride
inline void attention_mix(float* o, const float* probs, const float* v, long vstride, int len, int HS) {
  for (int i = 0; i < HS; i++) o[i] = 0.0f;
  for (int t2 = 0; t2 < len; t2++) axpy(o, probs[t2], v + t2 * vstride, HS);
}

// per-thread scratch, grown on first use and then reused (no allocation once warm)
float* scratch(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

void check_heads(int C, int NH) {
  PLUMA_CHECK(NH > 0 && C % NH == 0, "attention: the number of heads must divide the width");
}

}  // namespace

void attention_forward(const exec_context&, float* out, float* att, const float* qkv, int B, int T, int C,
                       int NH) {
  check_heads(C, NH);
  const int HS = C / NH;
  const long C3 = 3L * C;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < NH; h++) {
      const float* base = qkv + static_cast<long>(b) * T * C3 + h * HS;  // q of (b, 0, h)
      for (int t = 0; t < T; t++) {
        float* row = att + ((static_cast<long>(b) * NH + h) * T + t) * T;  // (T)
        attention_probs(row, base + t * C3, base + C, C3, t + 1, HS, scale);
        for (int t2 = t + 1; t2 < T; t2++) row[t2] = 0.0f;
        attention_mix(out + (static_cast<long>(b) * T + t) * C + h * HS, row, base + 2 * C, C3, t + 1, HS);
      }
    }
  }
}

void attention_backward(const exec_context&, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH) {
  check_heads(C, NH);
  const int HS = C / NH;
  const long C3 = 3L * C;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < NH; h++) {
      float* datt = scratch(T);  // (T) gradient of one row of probabilities
      const long off = static_cast<long>(b) * T * C3 + h * HS;
      const float* q = qkv + off;  // rows of stride C3: q, then k at +C, v at +2C
      float* dq = dqkv + off;
      for (int t = 0; t < T; t++) {
        const float* row = att + ((static_cast<long>(b) * NH + h) * T + t) * T;  // (T)
        const float* g = dout + (static_cast<long>(b) * T + t) * C + h * HS;       // (HS)
        // through out = row · v
        float row_dot = 0.0f;
        for (int t2 = 0; t2 <= t; t2++) {
          datt[t2] = dot(g, q + t2 * C3 + 2 * C, HS);
          axpy(dq + t2 * C3 + 2 * C, row[t2], g, HS);
          row_dot += row[t2] * datt[t2];
        }
        // through the softmax, then scores = scale * q·k
        for (int t2 = 0; t2 <= t; t2++) {
          const float dscore = scale * row[t2] * (datt[t2] - row_dot);
          axpy(dq + t * C3, dscore, q + t2 * C3 + C, HS);
          axpy(dq + t2 * C3 + C, dscore, q + t * C3, HS);
        }
      }
    }
  }
}

void attention_decode(const exec_context&, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH) {
  check_heads(C, NH);
  PLUMA_CHECK(len >= 1 && len <= maxT, "attention_decode: need 1 <= len <= maxT");
  const int HS = C / NH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < NH; h++) {
      float* probs = scratch(len);  // (len)
      const long cache_off = (static_cast<long>(b) * NH + h) * maxT * HS;
      const float* qh = q + static_cast<long>(b) * C + h * HS;
      attention_probs(probs, qh, kcache + cache_off, HS, len, HS, scale);
      attention_mix(out + static_cast<long>(b) * C + h * HS, probs, vcache + cache_off, HS, len, HS);
    }
  }
}

}  // namespace pluma::cpu
