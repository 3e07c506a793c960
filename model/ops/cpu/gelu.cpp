// gelu on the CPU: exact erf form, elementwise.
#include <cmath>

#include "model/ops/cpu/backend.h"

namespace pluma::cpu {

namespace {
constexpr float inv_sqrt2 = 0.70710678118654752f;
constexpr float inv_sqrt_2pi = 0.39894228040143268f;
}  // namespace

void gelu_forward(const exec_context&, float* out, const float* inp, long N) {
#pragma omp parallel for simd schedule(static)
  for (long i = 0; i < N; i++) {
    const float x = inp[i];
    out[i] = 0.5f * x * (1.0f + std::erf(x * inv_sqrt2));
  }
}

void gelu_backward(const exec_context&, float* dinp, const float* inp, const float* dout, long N) {
#pragma omp parallel for simd schedule(static)
  for (long i = 0; i < N; i++) {
    const float x = inp[i];
    const float cdf = 0.5f * (1.0f + std::erf(x * inv_sqrt2));
    const float pdf = inv_sqrt_2pi * std::exp(-0.5f * x * x);
    dinp[i] += dout[i] * (cdf + x * pdf);
  }
}

}  // namespace pluma::cpu
