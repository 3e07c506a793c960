// gelu on the GPU: exact erf form, elementwise (grid-stride loops).
#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr float inv_sqrt2 = 0.70710678118654752f;
constexpr float inv_sqrt_2pi = 0.39894228040143268f;
constexpr int threads = 256;

__global__ void gelu_forward_kernel(float* out, const float* inp, long N) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x) {
    const float x = inp[i];
    out[i] = 0.5f * x * (1.0f + erff(x * inv_sqrt2));
  }
}

__global__ void gelu_backward_kernel(float* dinp, const float* inp, const float* dout, long N) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x) {
    const float x = inp[i];
    const float cdf = 0.5f * (1.0f + erff(x * inv_sqrt2));
    const float pdf = inv_sqrt_2pi * expf(-0.5f * x * x);
    dinp[i] += dout[i] * (cdf + x * pdf);
  }
}

}  // namespace

void gelu_forward(const exec_context& ctx, float* out, const float* inp, long N) {
  if (N <= 0) return;
  gelu_forward_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(out, inp, N);
  CUDA_CHECK_LAUNCH();
}

void gelu_backward(const exec_context& ctx, float* dinp, const float* inp, const float* dout, long N) {
  if (N <= 0) return;
  gelu_backward_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(dinp, inp, dout, N);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
