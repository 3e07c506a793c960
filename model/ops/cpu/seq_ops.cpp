// seq_ops on the CPU: OpenMP over rows; every output element is written by one thread (deterministic).
#include "model/ops/cpu/seq_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/core/check.h"
#include "model/ops/cpu/lstm.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {
namespace {

// Below this many floats the OpenMP fork costs more than the copy.
constexpr long parallel_floats = 1 << 15;

void copy_row(float* dst, const float* src, int n) { std::memcpy(dst, src, size_t(n) * sizeof(float)); }
void add_row(float* dst, const float* src, int n) {
#pragma omp simd
  for (int i = 0; i < n; i++) dst[i] += src[i];
}

void check_len(int len, int lo, int T, const char* op) {
  PLUMA_CHECK(len >= lo && len <= T, op);
}

}  // namespace

void tanh_forward(const exec_context&, float* out, const float* inp, long N) {
#pragma omp parallel for simd schedule(static) if (N >= parallel_floats)
  for (long i = 0; i < N; i++) out[i] = lstm_tanh(inp[i]);   // the vectorizable tanh of the LSTM cell
}

void tanh_backward(const exec_context&, float* dinp, const float* out, const float* dout, long N) {
#pragma omp parallel for simd schedule(static) if (N >= parallel_floats)
  for (long i = 0; i < N; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}

void concat_forward(const exec_context&, float* out, const float* a, const float* b, long N, int C1, int C2) {
  const int C = C1 + C2;
#pragma omp parallel for schedule(static) if (N * C >= parallel_floats)
  for (long n = 0; n < N; n++) {
    copy_row(out + n * C, a + n * C1, C1);
    copy_row(out + n * C + C1, b + n * C2, C2);
  }
}

void concat_backward(const exec_context&, float* da, float* db, const float* dout, long N, int C1, int C2) {
  const int C = C1 + C2;
#pragma omp parallel for schedule(static) if (N * C >= parallel_floats)
  for (long n = 0; n < N; n++) {
    if (da) add_row(da + n * C1, dout + n * C, C1);
    if (db) add_row(db + n * C2, dout + n * C + C1, C2);
  }
}

void seq_reverse_forward(const exec_context&, float* out, const float* inp, const int* len, int T, int B, int C) {
#pragma omp parallel for collapse(2) schedule(static) if (long(T) * B * C >= parallel_floats)
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) {
      check_len(len[b], 0, T, "seq_reverse_forward: len must be in [0, T]");
      float* o = out + (long(t) * B + b) * C;
      if (t < len[b]) copy_row(o, inp + (long(len[b] - 1 - t) * B + b) * C, C);
      else std::memset(o, 0, size_t(C) * sizeof(float));
    }
  }
}

void seq_reverse_backward(const exec_context&, float* dinp, const float* dout, const int* len, int T, int B,
                          int C) {
#pragma omp parallel for collapse(2) schedule(static) if (long(T) * B * C >= parallel_floats)
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) {
      if (t < len[b]) add_row(dinp + (long(len[b] - 1 - t) * B + b) * C, dout + (long(t) * B + b) * C, C);
    }
  }
}

void bidir_merge_forward(const exec_context&, float* out, const float* fw, const float* bw, const int* len, int T,
                         int B, int C1, int C2) {
  const int C = C1 + C2;
#pragma omp parallel for collapse(2) schedule(static) if (long(T) * B * C >= parallel_floats)
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) {
      check_len(len[b], 0, T, "bidir_merge_forward: len must be in [0, T]");
      float* o = out + (long(t) * B + b) * C;
      if (t < len[b]) {
        copy_row(o, fw + (long(t) * B + b) * C1, C1);
        copy_row(o + C1, bw + (long(len[b] - 1 - t) * B + b) * C2, C2);
      } else {
        std::memset(o, 0, size_t(C) * sizeof(float));
      }
    }
  }
}

void bidir_merge_backward(const exec_context&, float* dfw, float* dbw, const float* dout, const int* len, int T,
                          int B, int C1, int C2) {
  const int C = C1 + C2;
#pragma omp parallel for collapse(2) schedule(static) if (long(T) * B * C >= parallel_floats)
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) {
      if (t >= len[b]) continue;
      const float* d = dout + (long(t) * B + b) * C;
      add_row(dfw + (long(t) * B + b) * C1, d, C1);
      add_row(dbw + (long(len[b] - 1 - t) * B + b) * C2, d + C1, C2);
    }
  }
}

void seq_last_forward(const exec_context&, float* out, const float* inp, const int* len, int T, int B, int C) {
  for (int b = 0; b < B; b++) {
    check_len(len[b], 1, T, "seq_last_forward: len must be in [1, T]");
    copy_row(out + long(b) * C, inp + (long(len[b] - 1) * B + b) * C, C);
  }
}

void seq_last_backward(const exec_context&, float* dinp, const float* dout, const int* len, int T, int B, int C) {
  for (int b = 0; b < B; b++) add_row(dinp + (long(len[b] - 1) * B + b) * C, dout + long(b) * C, C);
}

void gather_rows(const exec_context&, float* out, const float* inp, const int* rows, int T, int N, int R, int C) {
#pragma omp parallel for collapse(2) schedule(static) if (long(T) * R * C >= parallel_floats)
  for (int t = 0; t < T; t++) {
    for (int r = 0; r < R; r++) {
      PLUMA_CHECK(rows[r] >= 0 && rows[r] < N, "gather_rows: row index out of range");
      copy_row(out + (long(t) * R + r) * C, inp + (long(t) * N + rows[r]) * C, C);
    }
  }
}

void transpose_2d(const exec_context&, float* out, const float* inp, int R, int C) {
  constexpr int tile = 32;
#pragma omp parallel for collapse(2) schedule(static) if (long(R) * C >= parallel_floats)
  for (int r0 = 0; r0 < R; r0 += tile) {
    for (int c0 = 0; c0 < C; c0 += tile) {
      const int r1 = r0 + tile < R ? r0 + tile : R, c1 = c0 + tile < C ? c0 + tile : C;
      for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++) out[long(c) * R + r] = inp[long(r) * C + c];
    }
  }
}

void log_softmax_forward(const exec_context&, float* out, const float* inp, int N, int V) {
#pragma omp parallel for schedule(static) if (long(N) * V >= parallel_floats)
  for (int n = 0; n < N; n++) {
    const float* x = inp + long(n) * V;
    float* y = out + long(n) * V;
    float maxv = x[0];
#pragma omp simd reduction(max : maxv)
    for (int v = 1; v < V; v++) maxv = std::max(maxv, x[v]);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int v = 0; v < V; v++) sum += exp_approx(x[v] - maxv);
    const float lse = maxv + std::log(sum);
#pragma omp simd
    for (int v = 0; v < V; v++) y[v] = x[v] - lse;
  }
}

}  // namespace pluma::cpu
