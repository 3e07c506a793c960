// layernorm on the GPU: one warp per row for the row statistics, the output and the input gradient; the
// weight and bias gradients reduce over rows in two deterministic stages (row chunks into scratch, then
// the chunks in order), with no atomics.
#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/column_sums.cuh"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr float layernorm_eps = 1e-5f;
constexpr int rows_threads = 256;        // 8 warps: 8 rows per block
constexpr int rows_per_block = rows_threads / 32;

__global__ void layernorm_forward_kernel(float* out, float* mean, float* rstd, const float* inp,
                                         const float* weight, const float* bias, int N, int C) {
  const int lane = threadIdx.x % 32;
  const int n = blockIdx.x * rows_per_block + threadIdx.x / 32;
  if (n >= N) return;   // a whole warp leaves together
  const float* x = inp + static_cast<long>(n) * C;  // (C)
  float* o = out + static_cast<long>(n) * C;        // (C)
  float sum = 0.0f;
  for (int c = lane; c < C; c += 32) sum += x[c];
  const float m = warp_sum(sum) / C;
  float sq = 0.0f;
  for (int c = lane; c < C; c += 32) {
    const float d = x[c] - m;
    sq += d * d;
  }
  const float s = rsqrtf(warp_sum(sq) / C + layernorm_eps);   // biased variance, as PyTorch
  for (int c = lane; c < C; c += 32) o[c] = (x[c] - m) * s * weight[c] + (bias ? bias[c] : 0.0f);
  if (lane == 0) {
    mean[n] = m;
    rstd[n] = s;
  }
}

// dinp += rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)), dnorm = dout * weight
__global__ void layernorm_backward_input_kernel(float* dinp, const float* dout, const float* inp,
                                                const float* weight, const float* mean, const float* rstd,
                                                int N, int C) {
  const int lane = threadIdx.x % 32;
  const int n = blockIdx.x * rows_per_block + threadIdx.x / 32;
  if (n >= N) return;
  const float* x = inp + static_cast<long>(n) * C;   // (C)
  const float* g = dout + static_cast<long>(n) * C;  // (C)
  float* d = dinp + static_cast<long>(n) * C;        // (C)
  const float m = mean[n], s = rstd[n];
  float a = 0.0f, b = 0.0f;
  for (int c = lane; c < C; c += 32) {
    const float dnorm = g[c] * weight[c];
    a += dnorm;
    b += dnorm * (x[c] - m) * s;
  }
  const float dnorm_mean = warp_sum(a) / C;
  const float dnorm_norm_mean = warp_sum(b) / C;
  for (int c = lane; c < C; c += 32) {
    const float norm = (x[c] - m) * s;
    d[c] += s * (g[c] * weight[c] - dnorm_mean - norm * dnorm_norm_mean);
  }
}

// The parameter gradients' summands at (n, c): dout * norm (dweight) and dout (dbias).
struct param_grad_terms {
  const float* dout;   // (N, C)
  const float* inp;    // (N, C)
  const float* mean;   // (N)
  const float* rstd;   // (N)
  int C;
  __device__ void operator()(int n, int c, float* v) const {
    const long i = static_cast<long>(n) * C + c;
    v[0] = dout[i] * (inp[i] - mean[n]) * rstd[n];
    v[1] = dout[i];
  }
};

}  // namespace

void layernorm_forward(const exec_context& ctx, float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int N, int C) {
  PLUMA_CHECK(N >= 0 && C > 0, "layernorm_forward: bad dimensions");
  if (N == 0) return;
  const unsigned blocks = static_cast<unsigned>(ceil_div(N, rows_per_block));
  layernorm_forward_kernel<<<blocks, rows_threads, 0, stream_of(ctx)>>>(out, mean, rstd, inp, weight, bias, N, C);
  CUDA_CHECK_LAUNCH();
}

void layernorm_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                        const float* dout, const float* inp, const float* weight, const float* mean,
                        const float* rstd, int N, int C) {
  PLUMA_CHECK(N >= 0 && C > 0, "layernorm_backward: bad dimensions");
  if (N == 0) return;
  cudaStream_t stream = stream_of(ctx);
  const unsigned blocks = static_cast<unsigned>(ceil_div(N, rows_per_block));
  layernorm_backward_input_kernel<<<blocks, rows_threads, 0, stream>>>(dinp, dout, inp, weight, mean, rstd, N, C);
  CUDA_CHECK_LAUNCH();

  column_sums<2>(stream, column_outputs<2>{{dweight, dbias}}, param_grad_terms{dout, inp, mean, rstd, C}, N, C);
}

}  // namespace pluma::cuda
