// luong_attention on the CPU: rows in parallel (each row owns its slices of every output,
// so the result is the same for any thread count).
#include "model/ops/cpu/luong_attention.h"

#include <cmath>
#include <vector>

#include "model/core/check.h"

namespace pluma::cpu {
namespace {

float dot(const float* a, const float* b, int n) {
  float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
  for (int i = 0; i < n; i++) acc += a[i] * b[i];
  return acc;
}

// Below this many multiply-adds per call the OpenMP fork costs more than the work.
constexpr long parallel_work = 32768;

}  // namespace

void luong_attention_forward(const exec_context&, float* context, float* probs, const float* query,
                             const float* keys, const float* values, const int* src_len, int S, int B, int H,
                             int D) {
  PLUMA_CHECK(S > 0 && B > 0 && H > 0 && D > 0, "luong_attention_forward: dimensions must be positive");
#pragma omp parallel for schedule(static) if (long(B) * S * (H + D) >= parallel_work)
  for (int b = 0; b < B; b++) {
    const int len = src_len[b];
    PLUMA_CHECK(len >= 1 && len <= S, "luong_attention_forward: src_len must be in [1, S]");
    const float* q = query + long(b) * H;  // (H)
    float* p = probs + long(b) * S;        // (S)
    float maxv = -INFINITY;
    for (int s = 0; s < len; s++) {
      p[s] = dot(keys + (long(b) * S + s) * H, q, H);
      maxv = std::max(maxv, p[s]);
    }
    float sum = 0.0f;
    for (int s = 0; s < len; s++) {
      p[s] = std::exp(p[s] - maxv);
      sum += p[s];
    }
    const float inv = 1.0f / sum;
    for (int s = 0; s < len; s++) p[s] *= inv;
    for (int s = len; s < S; s++) p[s] = 0.0f;
    float* out = context + long(b) * D;  // (D)
    for (int d = 0; d < D; d++) out[d] = 0.0f;
    for (int s = 0; s < len; s++) {
      const float* v = values + (long(b) * S + s) * D;
      const float w = p[s];
#pragma omp simd
      for (int d = 0; d < D; d++) out[d] += w * v[d];
    }
  }
}

void luong_attention_backward(const exec_context&, float* dquery, float* dkeys, float* dvalues,
                              const float* dcontext, const float* probs, const float* query, const float* keys,
                              const float* values, const int* src_len, int S, int B, int H, int D) {
  PLUMA_CHECK(S > 0 && B > 0 && H > 0 && D > 0, "luong_attention_backward: dimensions must be positive");
#pragma omp parallel if (long(B) * S * (H + D) >= parallel_work)
  {
    std::vector<float> dscore(S);
#pragma omp for schedule(static)
    for (int b = 0; b < B; b++) {
      const int len = src_len[b];
      const float* p = probs + long(b) * S;       // (S)
      const float* dc = dcontext + long(b) * D;   // (D)
      const float* q = query + long(b) * H;       // (H)
      float* dq = dquery + long(b) * H;           // (H)
      // dprobs[s] = dcontext · values[s]; dscore = p * (dprobs - sum_j p[j] dprobs[j])
      float pdp = 0.0f;
      for (int s = 0; s < len; s++) {
        dscore[s] = dot(dc, values + (long(b) * S + s) * D, D);
        pdp += p[s] * dscore[s];
      }
      for (int s = 0; s < len; s++) dscore[s] = p[s] * (dscore[s] - pdp);
      for (int s = 0; s < len; s++) {
        const float* k = keys + (long(b) * S + s) * H;
        float* dk = dkeys + (long(b) * S + s) * H;
        float* dv = dvalues + (long(b) * S + s) * D;
        const float ds = dscore[s], ps = p[s];
#pragma omp simd
        for (int h = 0; h < H; h++) {
          dq[h] += ds * k[h];
          dk[h] += ds * q[h];
        }
#pragma omp simd
        for (int d = 0; d < D; d++) dv[d] += ps * dc[d];
      }
    }
  }
}

}  // namespace pluma::cpu
