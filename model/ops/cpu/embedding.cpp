// embedding on the CPU: token rows (plus position rows) copied out; backward scatters back without atomics.
#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {

void embedding_forward(const exec_context&, float* out, const int* tokens, const float* wte,
                       const float* wpe, int B, int T, int C) {
  const long BT = static_cast<long>(B) * T;
#pragma omp parallel for schedule(static) if (worth_threads(BT * C))
  for (long i = 0; i < BT; i++) {
    const int t = static_cast<int>(i % T);
    PLUMA_CHECK(tokens[i] >= 0, "embedding_forward: negative token id");
    const float* w = wte + static_cast<long>(tokens[i]) * C;        // (C)
    const float* p = wpe ? wpe + static_cast<long>(t) * C : nullptr; // (C)
    float* o = out + i * C;                                          // (C)
    if (p) {
#pragma omp simd
      for (int c = 0; c < C; c++) o[c] = w[c] + p[c];
    } else {
#pragma omp simd
      for (int c = 0; c < C; c++) o[c] = w[c];
    }
  }
}

void embedding_backward(const exec_context&, float* dwte, float* dwpe, const float* dout, const int* tokens,
                        int B, int T, int C) {
  const long BT = static_cast<long>(B) * T;
  // dwte: a token can repeat, so each thread owns a block of columns and visits every position in order.
  parallel_column_blocks(C, BT * C, [&](int c0, int c1) {
    for (long i = 0; i < BT; i++) {
      float* d = dwte + static_cast<long>(tokens[i]) * C;  // (C)
      const float* g = dout + i * C;                        // (C)
#pragma omp simd
      for (int c = c0; c < c1; c++) d[c] += g[c];
    }
  });
  if (!dwpe) return;
  // dwpe: each position row is its own, summed over the batch in order.
#pragma omp parallel for schedule(static) if (worth_threads(BT * C))
  for (int t = 0; t < T; t++) {
    float* d = dwpe + static_cast<long>(t) * C;  // (C)
    for (int b = 0; b < B; b++) {
      const float* g = dout + (static_cast<long>(b) * T + t) * C;
#pragma omp simd
      for (int c = 0; c < C; c++) d[c] += g[c];
    }
  }
}

}  // namespace pluma::cpu
