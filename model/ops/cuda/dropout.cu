// dropout on the GPU. Element i uses draw i of `gen` (counter-based, as rng::peek_u64), so the mask is
// bit-for-bit the CPU backend's for the same generator state, and `gen` ends N draws further on.
#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int threads = 256;

// The (i+1)-th draw after `state`, exactly rng::peek_u64(i) (SplitMix64); keep the two in step.
__device__ inline uint64_t splitmix_peek(uint64_t state, uint64_t i) {
  uint64_t z = state + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// rng::to_uniform: 24 bits into [0, 1)
__device__ inline float to_uniform(uint64_t u) { return static_cast<float>(u >> 40) * (1.0f / 16777216.0f); }

__global__ void dropout_forward_kernel(float* out, float* mask, const float* inp, long N, float p,
                                       float keep_scale, uint64_t state) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x) {
    const float u = to_uniform(splitmix_peek(state, static_cast<uint64_t>(i)));
    const float m = u >= p ? keep_scale : 0.0f;
    mask[i] = m;
    out[i] = inp[i] * m;
  }
}

__global__ void dropout_copy_kernel(float* out, float* mask, const float* inp, long N) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x) {
    mask[i] = 1.0f;
    out[i] = inp[i];
  }
}

__global__ void dropout_backward_kernel(float* dinp, const float* dout, const float* mask, long N) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x)
    dinp[i] += dout[i] * mask[i];
}

}  // namespace

void dropout_forward(const exec_context& ctx, float* out, float* mask, const float* inp, long N, float p,
                     rng& gen) {
  PLUMA_CHECK(p >= 0.0f && p <= 1.0f, "dropout_forward: p must be in [0, 1]");
  if (N <= 0) return;
  if (p == 0.0f) {
    dropout_copy_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(out, mask, inp, N);
    CUDA_CHECK_LAUNCH();
    return;
  }
  const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  dropout_forward_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(out, mask, inp, N, p,
                                                                               keep_scale, gen.state);
  CUDA_CHECK_LAUNCH();
  gen.discard(static_cast<uint64_t>(N));
}

void dropout_backward(const exec_context& ctx, float* dinp, const float* dout, const float* mask, long N) {
  if (N <= 0) return;
  dropout_backward_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(dinp, dout, mask, N);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
