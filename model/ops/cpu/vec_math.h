// Branch-free float exp and normal CDF that vectorize inside `#pragma omp simd` loops (std::exp and std::erf
// are library calls that stay scalar without fast-math). Accurate to a few ulp; tested in tests/test_ops.cpp.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace pluma::cpu {

// e^x for x <= 88 (callers pass x <= 0: softmax, Gaussian); 0 below -87.3, where floats turn denormal.
// x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7 (truncation below 6e-9), times 2^n.
inline float exp_approx(float x) {
  const float xc = std::min(std::max(x, -87.3f), 88.0f);
  const float n = std::rint(xc * 1.44269504088896341f);
  const float r = (xc - n * 0.693145751953125f) - n * 1.42860682030941723e-6f;  // ln2 split: hi part exact in n*
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);  // 2^n
  return x < -87.3f ? 0.0f : p * scale;
}

// The pieces of GELU: cdf = Phi(x) = 0.5 * (1 + erf(x / sqrt 2)) and pdf = exp(-x^2 / 2) / sqrt(2 pi).
// erfc(z) = exp(-z^2) * R(t), t = 1 / (1 + z / 2), z = |x| / sqrt 2, with R a degree-9 polynomial fitted for
// this function (relative error 3e-8 in exact arithmetic; Phi ends within 5e-7 relative in float everywhere).
// exp(-x^2 / 2) carries the rounding error of x*x (recovered with an fma), which matters for large |x|.
inline void normal_cdf_pdf(float x, float& cdf, float& pdf) {
  const float sq = x * x;
  const float sq_err = std::fma(x, x, -sq);                      // x*x - sq, exactly
  const float gauss = exp_approx(-0.5f * sq) * (1.0f - 0.5f * sq_err);  // exp(-x^2 / 2)
  const float z = std::abs(x) * 0.70710678118654752f;
  const float t = 1.0f / (1.0f + 0.5f * z);
  float r = -5.505770817e-02f;
  r = r * t + 2.639334500e-01f;
  r = r * t - 4.415387213e-01f;
  r = r * t + 2.212590426e-01f;
  r = r * t + 1.703166962e-02f;
  r = r * t + 1.812692285e-01f;
  r = r * t + 2.497884929e-01f;
  r = r * t + 2.810991704e-01f;
  r = r * t + 2.822213173e-01f;
  r = r * t - 6.009727713e-06f;
  const float half_erfc = 0.5f * gauss * r;  // 0.5 * erfc(z) = Phi(-|x|)
  cdf = x >= 0.0f ? 1.0f - half_erfc : half_erfc;
  pdf = 0.39894228040143268f * gauss;
}

// ---- explicit 16-float vectors (GCC/Clang vector extension): one AVX-512 register, or two or four narrower
// ones on other targets. For kernels that keep accumulators in registers or handle row tails with masks,
// which `omp simd` loops do not do well on short rows.
constexpr int vec_width = 16;
typedef float vec16 __attribute__((vector_size(vec_width * sizeof(float))));
typedef int32_t ivec16 __attribute__((vector_size(vec_width * sizeof(int32_t))));

inline vec16 vec_load(const float* p) {
  vec16 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void vec_store(float* p, vec16 v) { __builtin_memcpy(p, &v, sizeof v); }
inline vec16 vec_splat(float x) { return vec16{} + x; }
inline ivec16 vec_lane_index() { return ivec16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}; }
// Horizontal sum and max by halving (4 shuffles), not lane by lane.
inline float vec_sum(vec16 v) {
  v += __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
  v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
  return v[0];
}
inline float vec_max(vec16 v) {
  vec16 w = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  v = v > w ? v : w;
  w = __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
  v = v > w ? v : w;
  w = __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  v = v > w ? v : w;
  w = __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
  v = v > w ? v : w;
  return v[0];
}

// The 8 horizontal sums of a[0..7], in lanes 0, 2, 4, ..., 14: three rounds of pairwise folding
// (8 vectors -> 4 -> 2 -> 1), then one fold of neighbouring lanes.
inline vec16 vec_sums8(const vec16 (&a)[8]) {
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

// exp_approx lane by lane (the same steps, the rounding to an integer done with a shifter)
inline vec16 vec_exp(vec16 x) {
  const vec16 lo = vec_splat(-87.3f), hi = vec_splat(88.0f);
  vec16 xc = x < lo ? lo : x;
  xc = xc > hi ? hi : xc;
  // n = rint(xc / ln2) by the 1.5 * 2^23 shifter (round to nearest even, as rint)
  const vec16 shifter = vec_splat(12582912.0f);
  const vec16 t = xc * 1.44269504088896341f + shifter;
  const vec16 n = t - shifter;
  const vec16 r = (xc - n * 0.693145751953125f) - n * 1.42860682030941723e-6f;
  vec16 p = vec_splat(1.0f / 5040.0f);
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const ivec16 ni = (ivec16)t - (ivec16)shifter;   // the integer n, from t's low mantissa bits
  const vec16 scale = (vec16)((ni + 127) << 23);   // 2^n
  return x < lo ? vec16{} : p * scale;
}

// normal_cdf_pdf lane by lane (the same steps, exp by vec_exp)
inline void vec_normal_cdf_pdf(vec16 x, vec16& cdf, vec16& pdf) {
  vec16 sq_err, ax;
  const vec16 sq = x * x;
  for (int l = 0; l < vec_width; l++) {
    sq_err[l] = std::fma(x[l], x[l], -sq[l]);
    ax[l] = std::abs(x[l]);
  }
  const vec16 gauss = vec_exp(-0.5f * sq) * (1.0f - 0.5f * sq_err);
  const vec16 z = ax * 0.70710678118654752f;
  const vec16 t = 1.0f / (1.0f + 0.5f * z);
  vec16 r = vec_splat(-5.505770817e-02f);
  r = r * t + 2.639334500e-01f;
  r = r * t - 4.415387213e-01f;
  r = r * t + 2.212590426e-01f;
  r = r * t + 1.703166962e-02f;
  r = r * t + 1.812692285e-01f;
  r = r * t + 2.497884929e-01f;
  r = r * t + 2.810991704e-01f;
  r = r * t + 2.822213173e-01f;
  r = r * t - 6.009727713e-06f;
  const vec16 half_erfc = 0.5f * gauss * r;
  cdf = x >= 0.0f ? 1.0f - half_erfc : half_erfc;
  pdf = 0.39894228040143268f * gauss;
}

// Applies f (vec16 -> vec16 work on whole vectors) to n floats: whole vectors in place, and the last partial
// one through a zero-padded copy, so every element goes through the same vector code.
template <class F>
inline void vec_for_each(long n, F&& f) {
  long i = 0;
  for (; i + vec_width <= n; i += vec_width) f(i, vec_width);
  if (i < n) f(i, static_cast<int>(n - i));
}

// Loads n <= 16 floats (zero-padded) / stores the first n lanes.
inline vec16 vec_load_part(const float* p, int n) {
  if (n == vec_width) return vec_load(p);
  vec16 v = {};
  for (int l = 0; l < n; l++) v[l] = p[l];
  return v;
}
inline void vec_store_part(float* p, vec16 v, int n) {
  if (n == vec_width) return vec_store(p, v);
  for (int l = 0; l < n; l++) p[l] = v[l];
}

// Softmax over p[0, len) in place, zeros over [len, round_up(len, 16)): p must have room for the padding.
inline void softmax_padded(float* p, int len) {
  const int np = (len + vec_width - 1) / vec_width * vec_width;
  const ivec16 lane = vec_lane_index();
  const vec16 ninf = vec_splat(-std::numeric_limits<float>::infinity());
  vec16 m = ninf;
  for (int j = 0; j < np; j += vec_width) {
    const vec16 x = vec_load(p + j);
    m = lane + j < len ? (x > m ? x : m) : m;
  }
  const float maxv = vec_max(m);
  vec16 sum = {};
  for (int j = 0; j < np; j += vec_width) {
    const vec16 e = lane + j < len ? vec_exp(vec_load(p + j) - maxv) : vec16{};
    vec_store(p + j, e);
    sum += e;
  }
  const float inv = 1.0f / vec_sum(sum);
  for (int j = 0; j < np; j += vec_width) vec_store(p + j, vec_load(p + j) * inv);
}

}  // namespace pluma::cpu
