// Causal multi-head attention on the CPU. Each (batch, head) pair is one task, run by one thread over the
// pair's rows in tiles of a few query rows (cpu/attention_tiles.h): only the columns up to the diagonal are
// computed, and the head's q, k, v and the tile's scores stay in L1/L2. The probabilities are saved in att
// (zero past the diagonal) for backward, which recomputes nothing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "model/core/check.h"
#include "model/ops/cpu/attention_tiles.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/bf16_round.h"
#include "model/ops/cpu/matmul_rows.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

namespace {

using namespace attention_tiles;

void check_heads(int C, int NH) {
  PLUMA_CHECK(NH > 0 && C % NH == 0, "attention: the number of heads must divide the width");
}

// scratch owned by the calling thread, grown on first use and then reused (no allocation once warm)
float* scratch(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// dst (R, HS) = rows i0.. of x (row stride ld), zero rows past `rows`
void load_tile(float* dst, const float* x, long ld, int rows, int HS) {
  for (int r = 0; r < R; r++) {
    if (r < rows) std::memcpy(dst + r * HS, x + r * ld, sizeof(float) * HS);
    else std::memset(dst + r * HS, 0, sizeof(float) * HS);
  }
}

// One head of one sequence. q, k, v: (T, HS) with row stride ld (views into qkv); out: (T, HS) row stride
// ldo, fp32 or bf16; att: (T, T), or nullptr when the probabilities are not kept.
struct head_views {
  int T, HS;
  long ld, ldo;
  float scale;
};

void head_forward(const head_views& h, operand_out out, float* att, const float* q, const float* k, const float* v) {
  const int T = h.T, HS = h.HS, Tp = round_up(T);
  float* kt = scratch(static_cast<size_t>(HS) * Tp + 2 * R * HS + R * Tp);  // (HS, Tp) k transposed
  float* qt = kt + static_cast<long>(HS) * Tp;                              // (R, HS) query tile
  float* ot = qt + R * HS;                                                  // (R, HS) output tile
  float* pt = ot + R * HS;                                                  // (R, Tp) scores, then probabilities
  transpose_pad(kt, Tp, k, h.ld, HS, T);
  for (int i0 = 0; i0 < T; i0 += R) {
    const int rows = std::min(R, T - i0), n = i0 + rows;   // the tile sees columns 0..n-1
    load_tile(qt, q + i0 * h.ld, h.ld, rows, HS);
    rows_dot_cols(pt, Tp, qt, HS, kt, Tp, HS, n, h.scale);
    for (int r = 0; r < R; r++) {
      float* p = pt + r * Tp;
      const int len = r < rows ? i0 + r + 1 : 0;   // row i0+r keeps positions 0..i0+r
      if (len) softmax_padded(p, len);
      std::fill(p + round_up(len), p + round_up(n), 0.0f);
      if (r < rows && att) {
        float* a = att + static_cast<long>(i0 + r) * T;
        std::memcpy(a, p, sizeof(float) * len);
        std::fill(a + len, a + T, 0.0f);
      }
    }
    rows_mix(ot, HS, pt, Tp, v, h.ld, HS, n);
    for (int r = 0; r < rows; r++) {
      if (out.bf16) round_bf16(out.bf16 + (i0 + r) * h.ldo, ot + r * HS, HS);
      else std::memcpy(out.f32 + (i0 + r) * h.ldo, ot + r * HS, sizeof(float) * HS);
    }
  }
}

// Adds one head's gradients into dq, dk, dv: (T, HS) with row stride ld, or with `overwrite` writes them (the
// bits of adding into zeros: a row's first term is written, the later ones added); dout: (T, HS) row stride ldo.
void head_backward(const head_views& h, float* dq, float* dk, float* dv, const float* dout, const float* q,
                   const float* k, const float* v, const float* att, bool overwrite) {
  const int T = h.T, HS = h.HS, Tp = round_up(T);
  float* vt = scratch(static_cast<size_t>(HS) * Tp + 3 * R * HS + 2 * R * Tp);  // (HS, Tp) v transposed
  float* gt = vt + static_cast<long>(HS) * Tp;   // (R, HS) dout tile
  float* qt = gt + R * HS;                       // (R, HS) query tile
  float* dqt = qt + R * HS;                      // (R, HS) dq of the tile
  float* pt = dqt + R * HS;                      // (R, Tp) probabilities, zero past the diagonal
  float* ds = pt + R * Tp;                       // (R, Tp) d probabilities, then d scores
  transpose_pad(vt, Tp, v, h.ld, HS, T);
  for (int i0 = 0; i0 < T; i0 += R) {
    const int rows = std::min(R, T - i0), n = i0 + rows, np = round_up(n);
    load_tile(gt, dout + i0 * h.ldo, h.ldo, rows, HS);
    load_tile(qt, q + i0 * h.ld, h.ld, rows, HS);
    for (int r = 0; r < R; r++) {
      float* p = pt + r * Tp;
      if (r < rows) std::memcpy(p, att + static_cast<long>(i0 + r) * T, sizeof(float) * n);
      std::fill(p + (r < rows ? n : 0), p + np, 0.0f);
    }
    rows_dot_cols(ds, Tp, gt, HS, vt, Tp, HS, n, 1.0f);   // d p = dout · vᵀ
    for (int r = 0; r < R; r++) {   // d scores = scale * p * (d p - rowsum(p * d p))
      const float* p = pt + r * Tp;
      float* d = ds + r * Tp;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int j = 0; j < np; j++) dot += p[j] * d[j];
#pragma omp simd
      for (int j = 0; j < np; j++) d[j] = h.scale * p[j] * (d[j] - dot);
    }
    // Key rows i0.. get their first terms from this tile (the earlier tiles end before them).
    const int fresh = overwrite ? i0 : n;
    cols_mix(dv, h.ld, pt, Tp, gt, HS, HS, n, fresh);   // dv += pᵀ · dout
    cols_mix(dk, h.ld, ds, Tp, qt, HS, HS, n, fresh);   // dk += d scoresᵀ · q
    rows_mix(dqt, HS, ds, Tp, k, h.ld, HS, n);          // dq += d scores · k
    for (int r = 0; r < rows; r++) {
      float* o = dq + (i0 + r) * h.ld;
      if (overwrite) {
#pragma omp simd
        for (int d = 0; d < HS; d++) o[d] = 0.0f + dqt[r * HS + d];
      } else {
#pragma omp simd
        for (int d = 0; d < HS; d++) o[d] += dqt[r * HS + d];
      }
    }
  }
}

}  // namespace

void attention_forward(const exec_context&, operand_out out, float* att, const float* qkv, int B, int T, int C,
                       int NH) {
  check_heads(C, NH);
  if (B == 0 || T == 0) return;
  const int HS = C / NH;
  const head_views h{T, HS, 3L * C, C, 1.0f / std::sqrt(static_cast<float>(HS))};
  const int pairs = B * NH;
#pragma omp parallel for schedule(static) if (pairs > 1 && worth_threads(long(pairs) * T * T * HS / 8))
  for (int bh = 0; bh < pairs; bh++) {
    const int b = bh / NH, hd = bh % NH;
    const float* q = qkv + static_cast<long>(b) * T * 3 * C + hd * HS;
    float* att_bh = att ? att + static_cast<long>(bh) * T * T : nullptr;   // nullptr: not saved (inference)
    head_forward(h, out.offset(static_cast<long>(b) * T * C + hd * HS), att_bh, q, q + C, q + 2 * C);
  }
}

void attention_backward(const exec_context&, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH, grad_write dqkv_write) {
  check_heads(C, NH);
  if (B == 0 || T == 0) return;
  const int HS = C / NH;
  const head_views h{T, HS, 3L * C, C, 1.0f / std::sqrt(static_cast<float>(HS))};
  const int pairs = B * NH;
#pragma omp parallel for schedule(static) if (pairs > 1 && worth_threads(long(pairs) * T * T * HS / 8))
  for (int bh = 0; bh < pairs; bh++) {
    const int b = bh / NH, hd = bh % NH;
    const long off = static_cast<long>(b) * T * 3 * C + hd * HS;
    const float* q = qkv + off;
    float* dq = dqkv + off;
    head_backward(h, dq, dq + C, dq + 2 * C, dout + static_cast<long>(b) * T * C + hd * HS, q, q + C, q + 2 * C,
                  att + static_cast<long>(bh) * T * T, dqkv_write == grad_write::overwrite);
  }
}

void attention_decode(const exec_context&, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH) {
  check_heads(C, NH);
  PLUMA_CHECK(len >= 1 && len <= maxT, "attention_decode: need 1 <= len <= maxT");
  const int HS = C / NH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  parallel_for_range(long(B) * NH, long(B) * len * C, [&](long p0, long p1) {
    float* probs = scratch(static_cast<size_t>(maxT) + vec_width);   // (len) used, this thread's
    for (long bh = p0; bh < p1; bh++) {
      const long b = bh / NH, h = bh % NH;
      const float* k = kcache + bh * maxT * HS;   // (maxT, HS)
      const float* v = vcache + bh * maxT * HS;   // (maxT, HS)
      const float* qh = q + b * C + h * HS;       // (HS)
      for (int t0 = 0; t0 < len; t0 += 8)   // scores: 8 cached keys at a time
        dot_rows8(probs + t0, qh, k + static_cast<long>(t0) * HS, HS, HS, std::min(8, len - t0));
#pragma omp simd
      for (int t2 = 0; t2 < len; t2++) probs[t2] *= scale;
      softmax_padded(probs, len);
      float* o = out + b * C + h * HS;   // (HS)
      rows_mix_one(o, probs, v, HS, HS, len);   // out = probs · v
    }
  }, 1);
}

}  // namespace pluma::cpu
