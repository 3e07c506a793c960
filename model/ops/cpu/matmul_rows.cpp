#include "model/ops/cpu/matmul_rows.h"

#include <algorithm>
#include <vector>

#ifdef __AVX512BF16__
#include <immintrin.h>
#endif

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

typedef uint16_t hvec16 __attribute__((vector_size(vec_width * sizeof(uint16_t))));
typedef uint32_t uvec16 __attribute__((vector_size(vec_width * sizeof(uint32_t))));

// 16 bfloat16 values, widened to floats (a bf16 is the high half of a float's bits)
inline vec16 vec_load_bf16(const uint16_t* p) {
  hvec16 h;
  __builtin_memcpy(&h, p, sizeof h);
  const uvec16 u = __builtin_convertvector(h, uvec16) << 16;
  vec16 v;
  __builtin_memcpy(&v, &u, sizeof v);
  return v;
}

}  // namespace

#ifdef __AVX512BF16__
void dot_rows8_bf16(float* out, const uint16_t* x16, const uint16_t* w, long ldw, int C, int rows) {
  const uint16_t* wr[block];
  for (int k = 0; k < block; k++) wr[k] = w + std::min(k, rows - 1) * ldw;
  __m512 acc[block];
  for (int k = 0; k < block; k++) acc[k] = _mm512_setzero_ps();
  int c = 0;
  for (; c + 32 <= C; c += 32) {
    const __m512bh xv = (__m512bh)_mm512_loadu_si512(x16 + c);
#pragma GCC unroll 8
    for (int k = 0; k < block; k++) acc[k] = _mm512_dpbf16_ps(acc[k], (__m512bh)_mm512_loadu_si512(wr[k] + c), xv);
  }
  if (c < C) {   // the last partial pairs: masked weight loads (x16 is zero-padded)
    const __mmask32 m = (__mmask32)((1ULL << (C - c)) - 1);
    const __m512bh xv = (__m512bh)_mm512_loadu_si512(x16 + c);
    for (int k = 0; k < block; k++)
      acc[k] = _mm512_dpbf16_ps(acc[k], (__m512bh)_mm512_maskz_loadu_epi16(m, wr[k] + c), xv);
  }
  vec16 sums[block];
  for (int k = 0; k < block; k++) __builtin_memcpy(&sums[k], &acc[k], sizeof sums[k]);
  const vec16 s = vec_sums8(sums);
  for (int k = 0; k < rows; k++) out[k] = s[2 * k];
}
#else
void dot_rows8_bf16(float* out, const uint16_t* x16, const uint16_t* w, long ldw, int C, int rows) {
  const uint16_t* wr[block];
  for (int k = 0; k < block; k++) wr[k] = w + std::min(k, rows - 1) * ldw;
  vec16 acc[block] = {};
  int c = 0;
  for (; c + vec_width <= C; c += vec_width) {
    const vec16 xv = vec_load_bf16(x16 + c);
#pragma GCC unroll 8
    for (int k = 0; k < block; k++) acc[k] += vec_load_bf16(wr[k] + c) * xv;
  }
  if (c < C) {
    const int tail = C - c;
    const vec16 xv = vec_load_bf16(x16 + c);   // zero past C
    for (int k = 0; k < block; k++) {
      uint16_t part[vec_width] = {};
      for (int j = 0; j < tail; j++) part[j] = wr[k][c + j];
      acc[k] += vec_load_bf16(part) * xv;
    }
  }
  const vec16 s = vec_sums8(acc);
  for (int k = 0; k < rows; k++) out[k] = s[2 * k];
}
#endif

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

void matmul_rows_bf16w(const exec_context&, float* out, const float* inp, const uint16_t* weight16,
                       const float* bias, int N, int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_rows_bf16w: bad dimensions");
  // the input rows in bfloat16, each padded with zeros to a whole number of 32-value pairs
  const int Cp = bf16_padded(C);
  thread_local std::vector<uint16_t> x16;
  x16.assign(static_cast<size_t>(N) * Cp, 0);
  for (int n = 0; n < N; n++) to_bf16(x16.data() + static_cast<long>(n) * Cp, inp + static_cast<long>(n) * C, C);
  const uint16_t* xs = x16.data();   // this thread's buffer, read by every thread of the loop below
  rows_by_blocks(out, bias, N, C, OC, [&](float* o, int n, int o0, int rows) {
    dot_rows8_bf16(o, xs + static_cast<long>(n) * Cp, weight16 + static_cast<long>(o0) * C, C, C, rows);
  });
}

}  // namespace pluma::cpu
