// Shared pieces of the CUDA kernels: the stream of an exec_context, launch sizes, warp and block reductions,
// and stream-ordered scratch memory. Included by model/ops/cuda/*.cu only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/core/check.h"
#include "model/ops/cuda/cuda_check.h"
#include "model/core/exec.h"

namespace pluma::cuda {

inline cudaStream_t stream_of(const exec_context& ctx) { return static_cast<cudaStream_t>(ctx.stream); }

// Blocks for a grid-stride loop over n elements: enough to fill the device, never more than the work.
inline unsigned grid_for(long n, int threads) {
  const long blocks = (n + threads - 1) / threads;
  constexpr long max_blocks = 1L << 16;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > max_blocks ? max_blocks : blocks));
}

inline long ceil_div(long a, long b) { return (a + b - 1) / b; }

// Sum / max over the 32 lanes of a warp; every lane gets the result. The whole warp must be active.
template <class T>
__device__ inline T warp_sum(T v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ inline float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum / max over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `shared` holds 32 values; a block may call these repeatedly with the same buffer. The order of the
// additions depends only on blockDim, so results are deterministic.
template <class T>
__device__ inline T block_sum(T v, T* shared) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  v = warp_sum(v);
  __syncthreads();   // the previous call's readers are done with `shared`
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  return warp_sum(lane < nwarps ? shared[lane] : T(0));
}

__device__ inline float block_max(float v, float* shared) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  return warp_max(lane < nwarps ? shared[lane] : -INFINITY);
}

// The device's default memory pool keeps what is freed into it (instead of returning it to the driver at
// every synchronisation), so the per-op scratch below is reused from the pool after the first step.
inline void keep_pool_memory() {
  static const bool done = [] {
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    cudaMemPool_t pool;
    CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, dev));
    uint64_t threshold = UINT64_MAX;
    CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
    return true;
  }();
  (void)done;
}

// Temporary device memory ordered on a stream (cudaMallocAsync / cudaFreeAsync from the device's memory
// pool): no host synchronisation, freed when the work queued before the destructor has used it.
class stream_scratch {
 public:
  stream_scratch(size_t bytes, cudaStream_t stream) : stream_(stream) {
    keep_pool_memory();
    if (bytes) CUDA_CHECK(cudaMallocAsync(&ptr_, bytes, stream_));
  }
  ~stream_scratch() {
    if (ptr_) CUDA_CHECK(cudaFreeAsync(ptr_, stream_));
  }
  stream_scratch(const stream_scratch&) = delete;
  stream_scratch& operator=(const stream_scratch&) = delete;
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace pluma::cuda
