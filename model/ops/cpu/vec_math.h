// Branch-free float exp and normal CDF that vectorize inside `#pragma omp simd` loops (std::exp and std::erf
// are library calls that stay scalar without fast-math). Accurate to a few ulp; tested in tests/test_ops.cpp.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

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

}  // namespace pluma::cpu
