// Whole-buffer helpers on the GPU (the model scripts' fills, sums and target counts). The sums come back to
// the host, so they wait for the stream: a model calls them once per step, for the loss.
#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int threads = 256;
constexpr int sum_threads = 1024;   // one block: a fixed order of additions, so the sum is deterministic

__global__ void fill_kernel(float* out, float value, long N) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x) out[i] = value;
}

// rng::peek_u64 and rng::uniform_double / normal on the device (SplitMix64 draws, Box-Muller); keep in step.
__device__ inline uint64_t splitmix_peek(uint64_t state, uint64_t i) {
  uint64_t z = state + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

__device__ inline double to_uniform_double(uint64_t u) { return static_cast<double>(u >> 11) * (1.0 / 9007199254740992.0); }

// element i takes draws 2i and 2i + 1, as the i-th call of rng::normal() would
__global__ void fill_normal_kernel(float* out, float mean, float std, long N, uint64_t state) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x) {
    double u1 = to_uniform_double(splitmix_peek(state, 2 * static_cast<uint64_t>(i)));
    const double u2 = to_uniform_double(splitmix_peek(state, 2 * static_cast<uint64_t>(i) + 1));
    if (u1 < 1e-300) u1 = 1e-300;
    const float z = static_cast<float>(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
    out[i] = mean + std * z;
  }
}

// one block: the sum of inp (float values, or the partial sums of tensor_sumsq) in a fixed order
template <class T>
__global__ void sum_kernel(double* result, const T* inp, long N) {
  __shared__ double shared[32];
  double s = 0.0;
  for (long i = threadIdx.x; i < N; i += blockDim.x) s += inp[i];
  s = block_sum(s, shared);
  if (threadIdx.x == 0) *result = s;
}

// tensor_sumsq in two passes with a fixed grid: each of sumsq_blocks blocks sums its grid-stride share, then
// one block adds the partial sums; the same order on every call, so the result is deterministic.
constexpr int sumsq_blocks = 256;

__global__ void sumsq_partial_kernel(double* partial, const float* inp, long N) {
  __shared__ double shared[32];
  double s = 0.0;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < N; i += (long)gridDim.x * blockDim.x)
    s += static_cast<double>(inp[i]) * inp[i];
  s = block_sum(s, shared);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void count_kernel(long long* result, const int* targets, long N) {
  __shared__ double shared[32];
  double c = 0.0;   // counts below 2^53 are exact in double
  for (long i = threadIdx.x; i < N; i += blockDim.x) c += targets[i] >= 0 ? 1.0 : 0.0;
  c = block_sum(c, shared);
  if (threadIdx.x == 0) *result = static_cast<long long>(c);
}

}  // namespace

void tensor_fill(const exec_context& ctx, float* out, float value, long N) {
  if (N <= 0) return;
  fill_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(out, value, N);
  CUDA_CHECK_LAUNCH();
}

void tensor_fill_normal(const exec_context& ctx, float* out, float mean, float std, long N, rng& gen) {
  if (N <= 0) return;
  fill_normal_kernel<<<grid_for(N, threads), threads, 0, stream_of(ctx)>>>(out, mean, std, N, gen.state);
  CUDA_CHECK_LAUNCH();
  gen.discard(2 * static_cast<uint64_t>(N));
}

double tensor_sum(const exec_context& ctx, const float* inp, long N) {
  if (N <= 0) return 0.0;
  cudaStream_t s = stream_of(ctx);
  stream_scratch r(sizeof(double), s);
  sum_kernel<float><<<1, sum_threads, 0, s>>>(r.as<double>(), inp, N);
  CUDA_CHECK_LAUNCH();
  double host = 0.0;
  CUDA_CHECK(cudaMemcpyAsync(&host, r.as<double>(), sizeof(double), cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  return host;
}

double tensor_sumsq(const exec_context& ctx, const float* inp, long N) {
  if (N <= 0) return 0.0;
  cudaStream_t s = stream_of(ctx);
  stream_scratch r(sizeof(double) * (sumsq_blocks + 1), s);
  double* partial = r.as<double>();
  sumsq_partial_kernel<<<sumsq_blocks, threads, 0, s>>>(partial, inp, N);
  CUDA_CHECK_LAUNCH();
  sum_kernel<double><<<1, sum_threads, 0, s>>>(partial + sumsq_blocks, partial, sumsq_blocks);
  CUDA_CHECK_LAUNCH();
  double host = 0.0;
  CUDA_CHECK(cudaMemcpyAsync(&host, partial + sumsq_blocks, sizeof(double), cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  return host;
}

long targets_count(const exec_context& ctx, const int* targets, long N) {
  if (N <= 0) return 0;
  cudaStream_t s = stream_of(ctx);
  stream_scratch r(sizeof(long long), s);
  count_kernel<<<1, sum_threads, 0, s>>>(r.as<long long>(), targets, N);
  CUDA_CHECK_LAUNCH();
  long long host = 0;
  CUDA_CHECK(cudaMemcpyAsync(&host, r.as<long long>(), sizeof(long long), cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
  return static_cast<long>(host);
}

}  // namespace pluma::cuda
