#include "model/ops/cpu/matmul_rows.h"

#include <algorithm>
#include <vector>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/decode_team.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

namespace {

constexpr int block = 8;   // weight rows (outputs) per pass

}  // namespace

void dot_rows8(float* out, const float* x, const float* w, long ldw, int C, int rows) {
  const float* wr[block];
  for (int k = 0; k < block; k++) wr[k] = w + std::min(k, rows - 1) * ldw;
  vec16 acc[block] = {};
  int c = 0;
  for (; c + vec_width <= C; c += vec_width) {
    const vec16 xv = vec_load(x + c);
#pragma GCC unroll 8
    for (int k = 0; k < block; k++) acc[k] += vec_load(wr[k] + c) * xv;
  }
  if (c < C) {
    const int tail = C - c;
    const vec16 xv = vec_load_part(x + c, tail);
    for (int k = 0; k < block; k++) acc[k] += vec_load_part(wr[k] + c, tail) * xv;
  }
  const vec16 s = vec_sums8(acc);
  for (int k = 0; k < rows; k++) out[k] = s[2 * k];
}

namespace {

// The rows' shared loop: blocks of 8 outputs, each block on one thread for every input row; dot(o, n, o0,
// rows) fills out[n, o0 .. o0+rows). A decoding step's products take a few microseconds each, too short for
// an OpenMP region: they run on the decode team (cpu/decode_team.h).
template <class Dot>
void rows_by_blocks(float* out, const float* bias, int N, int C, int OC, Dot&& dot) {
  const long blocks = (OC + block - 1) / block;
  team_for_range(blocks, long(N) * C * OC, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) {
      const int o0 = static_cast<int>(b * block);
      const int rows = std::min(block, OC - o0);
      for (int n = 0; n < N; n++) {
        float* o = out + static_cast<long>(n) * OC + o0;
        dot(o, n, o0, rows);
        if (bias)
          for (int k = 0; k < rows; k++) o[k] += bias[o0 + k];
      }
    }
  });
}

}  // namespace

void matmul_rows(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int OC) {
  rows_by_blocks(out, bias, N, C, OC, [&](float* o, int n, int o0, int rows) {
    dot_rows8(o, inp + static_cast<long>(n) * C, weight + static_cast<long>(o0) * C, C, C, rows);
  });
}

}  // namespace pluma::cpu
