// Causal multi-head attention on the CPU. The products over all heads at once are batched oneDNN GEMMs on
// strided views of the fused qkv buffer (no copies); the softmax and its backward run over rows with OpenMP.
// The GEMMs compute full (T, T) score blocks; entries past the diagonal are then zeroed (att) or vanish
// (backward: they are multiplied by att = 0).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

namespace {

// s[0..len) = softmax(s[0..len)) in place
inline void softmax_row(float* s, int len) {
  float maxv = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : maxv)
  for (int i = 0; i < len; i++) maxv = std::max(maxv, s[i]);
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < len; i++) {
    s[i] = exp_approx(s[i] - maxv);
    sum += s[i];
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int i = 0; i < len; i++) s[i] *= inv;
}

void check_heads(int C, int NH) {
  PLUMA_CHECK(NH > 0 && C % NH == 0, "attention: the number of heads must divide the width");
}

// Strides (batch, head, row, col) of the views used below, over Bc batch entries.
struct head_views {
  int64_t T, C, NH, HS;
  // q, k or v of qkv (B, T, 3C) as (B, NH, T, HS); transposed: (B, NH, HS, T)
  void qkv_part(int64_t s[4], bool transposed) const {
    s[0] = T * 3 * C, s[1] = HS;
    s[2] = transposed ? 1 : 3 * C;
    s[3] = transposed ? 3 * C : 1;
  }
  // out or dout (B, T, C) as (B, NH, T, HS)
  void out_part(int64_t s[4]) const { s[0] = T * C, s[1] = HS, s[2] = C, s[3] = 1; }
  // att (B, NH, T, T), or its transpose per head
  void att(int64_t s[4], bool transposed) const {
    s[0] = NH * T * T, s[1] = T * T;
    s[2] = transposed ? 1 : T;
    s[3] = transposed ? T : 1;
  }
  gemm_desc desc(int64_t Bc, int64_t M, int64_t K, int64_t N) const {
    gemm_desc d;
    d.batch0 = Bc, d.batch1 = NH, d.M = M, d.K = K, d.N = N;
    return d;
  }
};

// d scores (in place of d att) for one chunk of rows: scale * att * (datt - rowsum(att * datt))
void softmax_backward_rows(float* datt, const float* att, long rows, int T, float scale) {
#pragma omp parallel for schedule(static) if (worth_threads(rows * T))
  for (long r = 0; r < rows; r++) {
    float* d = datt + r * T;       // (T)
    const float* a = att + r * T;  // (T), zero past the diagonal
    float row_dot = 0.0f;
#pragma omp simd reduction(+ : row_dot)
    for (int j = 0; j < T; j++) row_dot += a[j] * d[j];
#pragma omp simd
    for (int j = 0; j < T; j++) d[j] = scale * a[j] * (d[j] - row_dot);
  }
}

// scratch owned by the calling thread, grown on first use and then reused (no allocation once warm)
float* scratch(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

}  // namespace

void attention_forward(const exec_context&, float* out, float* att, const float* qkv, int B, int T, int C,
                       int NH) {
  check_heads(C, NH);
  if (B == 0 || T == 0) return;
  const head_views hv{T, C, NH, C / NH};
  // att (B, NH, T, T) = scale * q · kᵀ
  gemm_desc scores = hv.desc(B, T, hv.HS, T);
  scores.alpha = 1.0f / std::sqrt(static_cast<float>(hv.HS));
  hv.qkv_part(scores.a_strides, false);
  hv.qkv_part(scores.b_strides, true);
  hv.att(scores.c_strides, false);
  gemm(scores, qkv, qkv + C, nullptr, att);
  // causal softmax of every row: row t keeps positions 0..t
  const long rows = static_cast<long>(B) * NH * T;
#pragma omp parallel for schedule(static) if (worth_threads(rows * T))
  for (long r = 0; r < rows; r++) {
    const int t = static_cast<int>(r % T);
    float* row = att + r * T;  // (T)
    softmax_row(row, t + 1);
    for (int j = t + 1; j < T; j++) row[j] = 0.0f;
  }
  // out (B, NH, T, HS) view of (B, T, C) = att · v
  gemm_desc mix = hv.desc(B, T, T, hv.HS);
  hv.att(mix.a_strides, false);
  hv.qkv_part(mix.b_strides, false);
  hv.out_part(mix.c_strides);
  gemm(mix, att, qkv + 2 * C, nullptr, out);
}

void attention_backward(const exec_context&, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH) {
  check_heads(C, NH);
  if (B == 0 || T == 0) return;
  const head_views hv{T, C, NH, C / NH};
  const float scale = 1.0f / std::sqrt(static_cast<float>(hv.HS));
  // dv += attᵀ · dout
  gemm_desc dv = hv.desc(B, T, T, hv.HS);
  hv.att(dv.a_strides, true);
  hv.out_part(dv.b_strides);
  hv.qkv_part(dv.c_strides, false);
  dv.accumulate = true;
  gemm(dv, att, dout, nullptr, dqkv + 2 * C);
  // The d scores need a (Bc, NH, T, T) buffer: batches go in chunks of about 1M floats (4 MB) to bound it.
  const long per_batch = static_cast<long>(NH) * T * T;
  const int chunk = static_cast<int>(std::clamp<long>((1L << 20) / per_batch, 1, B));
  float* dscore = scratch(static_cast<size_t>(chunk) * per_batch);  // (chunk, NH, T, T)
  for (int b0 = 0; b0 < B; b0 += chunk) {
    const int Bc = std::min(chunk, B - b0);
    const long qkv_off = static_cast<long>(b0) * T * 3 * C;
    // d att = dout · vᵀ
    gemm_desc da = hv.desc(Bc, T, hv.HS, T);
    hv.out_part(da.a_strides);
    hv.qkv_part(da.b_strides, true);
    hv.att(da.c_strides, false);
    gemm(da, dout + static_cast<long>(b0) * T * C, qkv + qkv_off + 2 * C, nullptr, dscore);
    softmax_backward_rows(dscore, att + b0 * per_batch, Bc * static_cast<long>(NH) * T, T, scale);
    // dq += d scores · k
    gemm_desc dq = hv.desc(Bc, T, T, hv.HS);
    hv.att(dq.a_strides, false);
    hv.qkv_part(dq.b_strides, false);
    hv.qkv_part(dq.c_strides, false);
    dq.accumulate = true;
    gemm(dq, dscore, qkv + qkv_off + C, nullptr, dqkv + qkv_off);
    // dk += d scoresᵀ · q
    gemm_desc dk = dq;
    hv.att(dk.a_strides, true);
    gemm(dk, dscore, qkv + qkv_off, nullptr, dqkv + qkv_off + C);
  }
}

void attention_decode(const exec_context&, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH) {
  check_heads(C, NH);
  PLUMA_CHECK(len >= 1 && len <= maxT, "attention_decode: need 1 <= len <= maxT");
  const int HS = C / NH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
#pragma omp parallel for collapse(2) schedule(static) if (worth_threads(long(B) * len * C))
  for (int b = 0; b < B; b++) {
    for (int h = 0; h < NH; h++) {
      float* probs = scratch(static_cast<size_t>(maxT));  // (len) used, this thread's
      const long cache_off = (static_cast<long>(b) * NH + h) * maxT * HS;
      const float* k = kcache + cache_off;                      // (maxT, HS)
      const float* v = vcache + cache_off;                      // (maxT, HS)
      const float* qh = q + static_cast<long>(b) * C + h * HS;  // (HS)
      for (int t2 = 0; t2 < len; t2++) {
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int i = 0; i < HS; i++) s += qh[i] * k[static_cast<long>(t2) * HS + i];
        probs[t2] = scale * s;
      }
      softmax_row(probs, len);
      float* o = out + static_cast<long>(b) * C + h * HS;  // (HS)
      for (int i = 0; i < HS; i++) o[i] = 0.0f;
      for (int t2 = 0; t2 < len; t2++) {
#pragma omp simd
        for (int i = 0; i < HS; i++) o[i] += probs[t2] * v[static_cast<long>(t2) * HS + i];
      }
    }
  }
}

}  // namespace pluma::cpu
