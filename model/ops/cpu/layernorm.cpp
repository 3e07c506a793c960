// layernorm on the CPU: rows in parallel (the output in fp32, or rounded to bf16 row by row); the weight/bias
// gradients reduce over rows by column blocks.
#include <cmath>
#include <vector>

#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/bf16_round.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {

namespace {
constexpr float layernorm_eps = 1e-5f;
}  // namespace

void layernorm_forward(const exec_context&, operand_out out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int N, int C) {
  parallel_for_range(N, long(N) * C, [&](long n0, long n1) {
    thread_local std::vector<float> row;   // a bf16 output's row in fp32, before its rounding
    if (out.bf16 && row.size() < size_t(C)) row.resize(C);
    for (long n = n0; n < n1; n++) {
      const float* x = inp + static_cast<long>(n) * C;                // (C)
      float* o = out.bf16 ? row.data() : out.f32 + static_cast<long>(n) * C;   // (C)
      float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int c = 0; c < C; c++) sum += x[c];
      const float m = sum / C;
      float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
      for (int c = 0; c < C; c++) sq += (x[c] - m) * (x[c] - m);
      const float s = 1.0f / std::sqrt(sq / C + layernorm_eps);  // biased variance, as PyTorch
#pragma omp simd
      for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * weight[c] + (bias ? bias[c] : 0.0f);
      if (out.bf16) round_bf16(out.bf16 + static_cast<long>(n) * C, o, C);
      mean[n] = m;
      rstd[n] = s;
    }
  }, 1);
}

void layernorm_backward(const exec_context&, float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean, const float* rstd, int N,
                        int C, grad_write dinp_write, grad_write params_write) {
  const bool dinp_over = dinp_write == grad_write::overwrite, params_over = params_write == grad_write::overwrite;
  // dinp = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)), dnorm = dout * weight
  parallel_for_range(N, long(N) * C, [&](long n0, long n1) {
    for (long n = n0; n < n1; n++) {
      const float* x = inp + static_cast<long>(n) * C;   // (C)
      const float* g = dout + static_cast<long>(n) * C;  // (C)
      float* d = dinp + static_cast<long>(n) * C;        // (C)
      const float m = mean[n], s = rstd[n];
      float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
#pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
      for (int c = 0; c < C; c++) {
        const float dnorm = g[c] * weight[c];
        dnorm_mean += dnorm;
        dnorm_norm_mean += dnorm * (x[c] - m) * s;
      }
      dnorm_mean /= C;
      dnorm_norm_mean /= C;
#pragma omp simd
      for (int c = 0; c < C; c++) {
        const float norm = (x[c] - m) * s;
        const float v = s * (g[c] * weight[c] - dnorm_mean - norm * dnorm_norm_mean);
        d[c] = dinp_over ? v : d[c] + v;
      }
    }
  }, 1);
  // dweight (+)= sum over rows of dout * norm; dbias (+)= sum over rows of dout
  parallel_column_blocks(C, long(N) * C, [&](int c0, int c1) {
    float dw[column_block] = {}, db[column_block] = {};
    const int w = c1 - c0;
    for (int n = 0; n < N; n++) {
      const float* x = inp + static_cast<long>(n) * C + c0;
      const float* g = dout + static_cast<long>(n) * C + c0;
      const float m = mean[n], s = rstd[n];
#pragma omp simd
      for (int j = 0; j < w; j++) {
        dw[j] += g[j] * (x[j] - m) * s;
        db[j] += g[j];
      }
    }
    for (int j = 0; j < w; j++) {
      dweight[c0 + j] = params_over ? dw[j] : dweight[c0 + j] + dw[j];
      if (dbias) dbias[c0 + j] = params_over ? db[j] : dbias[c0 + j] + db[j];
    }
  });
}

}  // namespace pluma::cpu
