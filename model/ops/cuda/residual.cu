// residual on the GPU: out = a + b; the gradient passes through to both (grid-stride loops).
#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int threads = 256;

__global__ void residual_forward_kernel(float* out, const float* a, const float* b, long N) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x)
    out[i] = a[i] + b[i];
}

__global__ void residual_backward_kernel(float* da, float* db, const float* dout, long N) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x) {
    const float g = dout[i];
    da[i] += g;
    db[i] += g;
  }
}

}  // namespace

void residual_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N) {
  if (N <= 0) return;
  residual_forward_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(out, a, b, N);
  CUDA_CHECK_LAUNCH();
}

void residual_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N) {
  if (N <= 0) return;
  residual_backward_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(da, db, dout, N);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
