// Rounding float32 to bfloat16 (nearest, ties to even): the one rounding of the CPU backend, used by to_bf16
// (cpu/gemm.h) and by the ops that write an output in bf16 (model/ops/operand.h).
#pragma once
#include <cstdint>
#include <cstring>

#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

// Round to nearest, ties to even, on the bits: a NaN stays a NaN (its sign kept, made quiet), where the
// rounding's carry would turn some into an infinity or, negative ones, wrap them to +0 and hide a divergence.
// Both functions below do exactly this, so that every bf16 copy agrees bit for bit.

// out: (n) the bfloat16 bits of in: (n), on the calling thread (the compiler vectorizes the loop).
inline void round_bf16(uint16_t* out, const float* in, long n) {
#pragma omp simd
  for (long i = 0; i < n; i++) {
    uint32_t x;
    std::memcpy(&x, in + i, sizeof x);
    const uint32_t rounded = (x + 0x7fffu + ((x >> 16) & 1u)) >> 16;
    const uint32_t quiet_nan = (x >> 16) | 0x40u;
    out[i] = static_cast<uint16_t>((x & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
  }
}

// Stores the first n <= 16 lanes of v rounded to bfloat16, as round_bf16 does.
inline void vec_store_bf16_part(uint16_t* p, vec16 v, int n) {
  typedef uint32_t uvec16 __attribute__((vector_size(vec_width * sizeof(uint32_t))));
  typedef uint16_t hvec16 __attribute__((vector_size(vec_width * sizeof(uint16_t))));
  const uvec16 x = (uvec16)v;   // the same bits
  const uvec16 rounded = (x + 0x7fffu + ((x >> 16) & 1u)) >> 16, quiet_nan = (x >> 16) | 0x40u;
  const hvec16 h = __builtin_convertvector((x & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded, hvec16);
  if (n == vec_width) return std::memcpy(p, &h, sizeof h), void();
  for (int l = 0; l < n; l++) p[l] = h[l];
}

}  // namespace pluma::cpu
