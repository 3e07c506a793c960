#include "model/ops/cpu/matmul_rows.h"

#include <algorithm>

#ifdef __AVX512BF16__
#include <immintrin.h>
#endif

#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

namespace {

constexpr int block = 8;   // weight rows (outputs) per pass

// Multiply-adds below which one thread does it all. A decoding step's products take a few microseconds
// each, about what a parallel region and its barrier cost on two threads (far more when the machine is
// loaded and the other thread is descheduled), so they stay on one thread.
constexpr long rows_parallel_min_work = 1L << 20;

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

void matmul_rows(float* out, const float* inp, const float* weight, const float* bias, int N, int C, int OC) {
  const long blocks = (OC + block - 1) / block;
  const long work = long(N) * C * OC;
  parallel_for_range(blocks, work >= rows_parallel_min_work ? work : 0, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) {
      const int o0 = static_cast<int>(b * block);
      const int rows = std::min(block, OC - o0);
      for (int n = 0; n < N; n++) {
        float* o = out + static_cast<long>(n) * OC + o0;
        dot_rows8(o, inp + static_cast<long>(n) * C, weight + static_cast<long>(o0) * C, C, C, rows);
        if (bias)
          for (int k = 0; k < rows; k++) o[k] += bias[o0 + k];
      }
    }
  }, 1);
}

}  // namespace pluma::cpu
