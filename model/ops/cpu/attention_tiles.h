// The inner products of causal attention for one head, on tiles of R = 8 consecutive query rows.
// Accumulators are R vectors of 16 floats (R AVX-512 registers) held across the reduction loop, so each
// loaded vector feeds R independent FMAs (enough to cover the FMA latency). Column counts are rounded up to whole 16-wide chunks: callers pad their buffers to a multiple of 16
// and zero what lies past the valid columns, so the extra lanes add zeros.
#pragma once
#include <algorithm>

#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu::attention_tiles {

constexpr int R = 8;            // query rows per tile (even)
constexpr int W = vec_width;   // floats per chunk (one AVX-512 vector)
inline int round_up(int n) { return (n + W - 1) / W * W; }

// out[r][j] = scale * sum_d a[r][d] * bt[d][j] for r < R, j < round_up(n);
// a: (R, HS) row stride lda; bt: (HS, ldb) a transposed operand; out: (R, ldo), ldo >= round_up(n)
inline void rows_dot_cols(float* out, int ldo, const float* a, int lda, const float* bt, int ldb, int HS, int n,
                          float scale) {
  for (int j0 = 0; j0 < n; j0 += W) {
    vec16 acc[R] = {};
    for (int d = 0; d < HS; d++) {
      const vec16 b = vec_load(bt + static_cast<long>(d) * ldb + j0);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) acc[r] += a[r * lda + d] * b;
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) vec_store(out + r * ldo + j0, scale * acc[r]);
  }
}

// out[r][:] = sum_{j < n} p[r][j] * v[j][:] for r < R; p: (R, ldp); v: (n, HS) row stride ldv;
// out: (R, HS) row stride ldo
inline void rows_mix(float* out, int ldo, const float* p, int ldp, const float* v, long ldv, int HS, int n) {
  int d0 = 0;
  for (; d0 + W <= HS; d0 += W) {
    vec16 acc[R] = {};
    for (int j = 0; j < n; j++) {
      const vec16 x = vec_load(v + j * ldv + d0);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) acc[r] += p[r * ldp + j] * x;
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) vec_store(out + r * ldo + d0, acc[r]);
  }
  for (int r = 0; r < R; r++)   // a last partial chunk (HS not a multiple of 16)
    for (int d = d0; d < HS; d++) {
      float acc = 0.0f;
      for (int j = 0; j < n; j++) acc += p[r * ldp + j] * v[j * ldv + d];
      out[r * ldo + d] = acc;
    }
}

// out[:] = sum_{j < n} p[j] * v[j][:] for one query row (decoding): p: (n); v: (n, HS) row stride ldv;
// out: (HS). Four partial sums per chunk (independent FMA chains), added at the end.
inline void rows_mix_one(float* out, const float* p, const float* v, long ldv, int HS, int n) {
  int d0 = 0;
  for (; d0 + W <= HS; d0 += W) {
    vec16 acc[4] = {};
    int j = 0;
    for (; j + 4 <= n; j += 4)
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) acc[u] += p[j + u] * vec_load(v + (j + u) * ldv + d0);
    for (; j < n; j++) acc[0] += p[j] * vec_load(v + j * ldv + d0);
    vec_store(out + d0, (acc[0] + acc[1]) + (acc[2] + acc[3]));
  }
  for (int d = d0; d < HS; d++) {   // a last partial chunk
    float acc = 0.0f;
    for (int j = 0; j < n; j++) acc += p[j] * v[j * ldv + d];
    out[d] = acc;
  }
}

// dst[j][:] += sum_{r < R} p[r][j] * x[r][:] for j < n, except that rows j >= fresh are written (as if they
// held zeros: the same bits); p: (R, ldp); x: (R, HS) row stride ldx; dst: (n, HS) row stride ldd
inline void cols_mix(float* dst, long ldd, const float* p, int ldp, const float* x, int ldx, int HS, int n,
                     int fresh) {
  int d0 = 0;
  for (; d0 + W <= HS; d0 += W) {
    vec16 xr[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) xr[r] = vec_load(x + r * ldx + d0);
    for (int j = 0; j < n; j++) {
      float* dj = dst + j * ldd + d0;
      vec16 a0 = j < fresh ? vec_load(dj) : vec16{}, a1 = {};   // two chains
#pragma GCC unroll 8
      for (int r = 0; r < R; r += 2) {
        a0 += p[r * ldp + j] * xr[r];
        a1 += p[(r + 1) * ldp + j] * xr[r + 1];
      }
      vec_store(dj, a0 + a1);
    }
  }
  for (int j = 0; j < n; j++)   // a last partial chunk
    for (int d = d0; d < HS; d++) {
      float acc = j < fresh ? dst[j * ldd + d] : 0.0f;
      for (int r = 0; r < R; r++) acc += p[r * ldp + j] * x[r * ldx + d];
      dst[j * ldd + d] = acc;
    }
}

// bt[d][j] = x[j][d] for j < n, zero for n <= j < round_up(n); x: (n, HS) row stride ldx; bt: (HS, ldb)
inline void transpose_pad(float* bt, int ldb, const float* x, long ldx, int HS, int n) {
  const int np = round_up(n);
  for (int d = 0; d < HS; d++) {
    float* row = bt + static_cast<long>(d) * ldb;
    for (int j = 0; j < n; j++) row[j] = x[j * ldx + d];
    for (int j = n; j < np; j++) row[j] = 0.0f;
  }
}

}  // namespace pluma::cpu::attention_tiles
