#include "model/ops/cpu/matmul_rows.h"

#include <algorithm>

#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

namespace {

constexpr int block = 8;   // weight rows (outputs) per pass: 8 independent FMA chains

// Multiply-adds below which one thread does it all. A decoding step's products take a few microseconds
// each, about what a parallel region and its barrier cost on two threads (far more when the machine is
// loaded and the other thread is descheduled), so they stay on one thread.
constexpr long rows_parallel_min_work = 1L << 20;

// The 8 horizontal sums of a[0..7], returned in lanes 0, 2, 4, ..., 14 (by three rounds of pairwise
// folding: 8 vectors -> 4 -> 2 -> 1, then one last fold of neighbouring lanes).
inline vec16 sums8(const vec16 (&a)[block]) {
  vec16 t[4], u[2];
  for (int i = 0; i < 4; i++)
    t[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
           __builtin_shufflevector(a[2 * i], a[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  for (int i = 0; i < 2; i++)
    u[i] = __builtin_shufflevector(t[2 * i], t[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
           __builtin_shufflevector(t[2 * i], t[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  const vec16 w = __builtin_shufflevector(u[0], u[1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +
                  __builtin_shufflevector(u[0], u[1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  return w + __builtin_shufflevector(w, w, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
}

// out[n][o0 .. o0+rows) for every input row n, from weight rows o0 .. o0+rows (rows <= 8)
void rows_block(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int OC,
                int o0, int rows) {
  const float* w[block];
  for (int k = 0; k < block; k++) w[k] = weight + static_cast<long>(o0 + std::min(k, rows - 1)) * C;
  for (int n = 0; n < N; n++) {
    const float* x = inp + static_cast<long>(n) * C;
    vec16 acc[block] = {};
    int c = 0;
    for (; c + vec_width <= C; c += vec_width) {
      const vec16 xv = vec_load(x + c);
#pragma GCC unroll 8
      for (int k = 0; k < block; k++) acc[k] += vec_load(w[k] + c) * xv;
    }
    if (c < C) {
      const int tail = C - c;
      const vec16 xv = vec_load_part(x + c, tail);
      for (int k = 0; k < block; k++) acc[k] += vec_load_part(w[k] + c, tail) * xv;
    }
    const vec16 s = sums8(acc);
    float* o = out + static_cast<long>(n) * OC + o0;
    for (int k = 0; k < rows; k++) o[k] = s[2 * k] + (bias ? bias[o0 + k] : 0.0f);
  }
}

}  // namespace

void matmul_rows(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int OC) {
  const long blocks = (OC + block - 1) / block;
  const long work = long(N) * C * OC;
  parallel_for_range(blocks, work >= rows_parallel_min_work ? work : 0, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) {
      const int o0 = static_cast<int>(b * block);
      rows_block(out, inp, weight, bias, N, C, OC, o0, std::min(block, OC - o0));
    }
  }, 1);
}

}  // namespace pluma::cpu
