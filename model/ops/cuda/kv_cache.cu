// The KV cache on the GPU: one decoding position's fused projection split into q and the caches, or a
// prompt's positions at once into the caches.
#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int threads = 256;

// one thread per element of qkv: (B, 3*C) -> q (B, C), kcache/vcache (B, NH, maxT, HS) at position pos
__global__ void kv_cache_write_kernel(float* q, float* kcache, float* vcache, const float* qkv, int B, int pos,
                                      int maxT, int C, int NH) {
  const long total = static_cast<long>(B) * 3 * C;
  const int HS = C / NH;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
    const int b = static_cast<int>(i / (3 * C));
    const int col = static_cast<int>(i % (3 * C));
    const int part = col / C, c = col % C;   // 0: q, 1: k, 2: v
    const float v = qkv[i];
    if (part == 0) {
      q[static_cast<long>(b) * C + c] = v;
    } else {
      const int h = c / HS, d = c % HS;
      const long at = ((static_cast<long>(b) * NH + h) * maxT + pos) * HS + d;
      (part == 1 ? kcache : vcache)[at] = v;
    }
  }
}

// one thread per key and value element of qkv: (B, T, 3*C) -> kcache/vcache (B, NH, maxT, HS) at positions 0..T-1
__global__ void kv_cache_prefill_kernel(float* kcache, float* vcache, const float* qkv, int B, int T, int maxT,
                                        int C, int NH) {
  const long total = static_cast<long>(B) * T * 2 * C;
  const int HS = C / NH;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
    const long bt = i / (2 * C);   // b * T + t
    const int col = static_cast<int>(i % (2 * C));
    const int part = col / C, c = col % C;   // 0: k, 1: v
    const int b = static_cast<int>(bt / T), t = static_cast<int>(bt % T);
    const int h = c / HS, d = c % HS;
    const long at = ((static_cast<long>(b) * NH + h) * maxT + t) * HS + d;
    (part == 0 ? kcache : vcache)[at] = qkv[bt * 3 * C + C + col];
  }
}

}  // namespace

void kv_cache_write(const exec_context& ctx, float* q, float* kcache, float* vcache, const float* qkv, int B,
                    int pos, int maxT, int C, int NH) {
  PLUMA_CHECK(NH > 0 && C % NH == 0, "kv_cache_write: the number of heads must divide the width");
  PLUMA_CHECK(pos >= 0 && pos < maxT, "kv_cache_write: position outside the cache");
  if (B <= 0) return;
  const long total = static_cast<long>(B) * 3 * C;
  kv_cache_write_kernel<<<grid_for(total, threads), threads, 0, stream_of(ctx)>>>(q, kcache, vcache, qkv, B, pos,
                                                                                  maxT, C, NH);
  CUDA_CHECK_LAUNCH();
}

void kv_cache_prefill(const exec_context& ctx, float* kcache, float* vcache, const float* qkv, int B, int T,
                      int maxT, int C, int NH) {
  PLUMA_CHECK(NH > 0 && C % NH == 0, "kv_cache_prefill: the number of heads must divide the width");
  PLUMA_CHECK(T >= 1 && T <= maxT, "kv_cache_prefill: need 1 <= T <= maxT");
  if (B <= 0) return;
  const long total = static_cast<long>(B) * T * 2 * C;
  kv_cache_prefill_kernel<<<grid_for(total, threads), threads, 0, stream_of(ctx)>>>(kcache, vcache, qkv, B, T,
                                                                                    maxT, C, NH);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
