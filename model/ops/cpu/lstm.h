// The CPU backend's LSTM kernels: the same signatures as model/ops/lstm.h (which dispatches here on
// ctx.dev == device::cpu), and the cell's vectorizable activations. The oneDNN LSTM primitive
// (lstm_primitive in model/ops/lstm.h) is in lstm_dnnl.cpp.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "model/core/exec.h"

namespace pluma::cpu {

// ---- own kernels (lstm.cpp): matmul op for the projections, fused OpenMP cell pointwise
void lstm_forward(const exec_context& ctx, float* h, float* c, float* gates, float* hT, float* cT,
                  const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                  const float* b_ih, const float* b_hh, float* scratch, int T, int B, int C, int H);
void lstm_backward(const exec_context& ctx, float* dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh,
                   float* db_ih, float* db_hh, const float* dh, const float* dhT, const float* dcT,
                   const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                   const float* h, const float* c, const float* gates, float* scratch, int T, int B, int C,
                   int H);
void lstm_step(const exec_context& ctx, float* h_out, float* c_out, const float* x, const float* h_prev,
               const float* c_prev, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
               float* scratch, int B, int C, int H);
void lstm_cell_forward(const exec_context& ctx, float* gates, float* c_out, float* h_out, const float* rec,
                       const float* b_hh, const float* c_prev, int B, int H);
void lstm_cell_backward(const exec_context& ctx, float* dgates, float* dc, const float* dh_out, const float* dh_rec,
                        const float* gates, const float* c, const float* c_prev, int B, int H);

// ---- the cell's activations: branch-free so the pointwise loops vectorize (a few ulp of std::exp/tanh)
// e^x split as 2^n * e^r, |r| <= ln2/2; returns e^r - 1 (polynomial, accurate near 0) and 2^n
inline float lstm_expm1_reduced(float x, float& scale) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float shifter = 12582912.0f;                      // 1.5 * 2^23: adding it rounds to an integer
  float t = x * 1.44269504088896341f + shifter;
  float n = t - shifter;
  int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(shifter);
  float r = x - n * 0.693145751953125f;                   // ln2 split in a high part (exact in n*hi)
  r = r - n * 1.428606765330187e-06f;                     // and the low part
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  scale = std::bit_cast<float>((ni + 127) << 23);
  return r + r * r * p;
}
inline float lstm_exp(float x) {
  float scale;
  float q = lstm_expm1_reduced(x, scale);
  return scale * q + scale;
}
inline float lstm_sigmoid(float x) { return 1.0f / (1.0f + lstm_exp(-x)); }
inline float lstm_tanh(float x) {
  float scale;
  float q = lstm_expm1_reduced(-2.0f * std::fabs(x), scale);
  float em = scale * q + (scale - 1.0f);                  // expm1(-2|x|), in (-1, 0]
  float t = -em / (em + 2.0f);
  return std::copysign(t, x);
}

}  // namespace pluma::cpu
