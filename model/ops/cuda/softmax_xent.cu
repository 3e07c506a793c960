// softmax cross-entropy on the GPU: one block per row. The forward finds the row's maximum and the sum of
// exponentials in a single pass (online rescaling), then writes the probabilities and the loss; with label
// smoothing eps: loss = (1 - eps) * (-log p[target]) + eps * mean over classes of (-log p[c]).
// A target >= V cannot stop the device: its loss is written as NaN (the CPU backend aborts instead).
#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int threads = 512;

// A running maximum and the sum of exp(x - m) over the values seen.
struct max_sum {
  float m, s;
};

__device__ inline max_sum combine(max_sum a, max_sum b) {
  if (a.m == -INFINITY) return b;
  if (b.m == -INFINITY) return a;
  const float m = fmaxf(a.m, b.m);
  return {m, a.s * expf(a.m - m) + b.s * expf(b.m - m)};
}

__device__ inline max_sum block_max_sum(max_sum v, max_sum* shared) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v = combine(v, {__shfl_xor_sync(0xffffffffu, v.m, o), __shfl_xor_sync(0xffffffffu, v.s, o)});
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = lane < nwarps ? shared[lane] : max_sum{-INFINITY, 0.0f};
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v = combine(v, {__shfl_xor_sync(0xffffffffu, v.m, o), __shfl_xor_sync(0xffffffffu, v.s, o)});
  return v;
}

__global__ void softmax_xent_forward_kernel(float* losses, float* probs, const float* logits, const int* targets,
                                            int V, float label_smoothing) {
  __shared__ max_sum shared_ms[32];
  __shared__ double shared_d[32];
  const long n = blockIdx.x;
  const float* x = logits + n * V;  // (V)
  float* p = probs + n * V;         // (V)
  max_sum ms{-INFINITY, 0.0f};
  double sum_x = 0.0;
  for (int c = threadIdx.x; c < V; c += blockDim.x) {
    const float xc = x[c];
    if (xc > ms.m) {
      ms.s = ms.s * expf(ms.m - xc) + 1.0f;
      ms.m = xc;
    } else if (ms.m != -INFINITY) {   // (-inf logits before any finite one add nothing)
      ms.s += expf(xc - ms.m);
    }
    sum_x += xc;
  }
  ms = block_max_sum(ms, shared_ms);
  const float inv = 1.0f / ms.s;
  for (int c = threadIdx.x; c < V; c += blockDim.x) p[c] = expf(x[c] - ms.m) * inv;
  if (label_smoothing != 0.0f) sum_x = block_sum(sum_x, shared_d);
  if (threadIdx.x != 0) return;
  const int target = targets[n];
  if (target < 0) {
    losses[n] = 0.0f;
    return;
  }
  if (target >= V) {
    losses[n] = NAN;
    return;
  }
  // log p[c] = x[c] - log_norm
  const double log_norm = static_cast<double>(ms.m) + log(static_cast<double>(ms.s));
  double loss = (1.0 - label_smoothing) * (log_norm - x[target]);
  if (label_smoothing != 0.0f) loss += label_smoothing * (log_norm - sum_x / V);
  losses[n] = static_cast<float>(loss);
}

// dlogits += dlosses[n] * (p - eps / V - (1 - eps) * onehot(target))
__global__ void softmax_xent_backward_kernel(float* dlogits, const float* dlosses, const float* probs,
                                             const int* targets, int V, float label_smoothing) {
  const long n = blockIdx.x;
  const int target = targets[n];
  if (target < 0 || target >= V) return;
  const float dl = dlosses[n];
  const float smooth = label_smoothing / V;
  const float hit = 1.0f - label_smoothing;
  const float* p = probs + n * V;  // (V)
  float* d = dlogits + n * V;      // (V)
  for (int c = threadIdx.x; c < V; c += blockDim.x) d[c] += dl * (p[c] - smooth - (c == target ? hit : 0.0f));
}

}  // namespace

void softmax_xent_forward(const exec_context& ctx, float* losses, float* probs, const float* logits,
                          const int* targets, int N, int V, float label_smoothing) {
  PLUMA_CHECK(N >= 0 && V > 0, "softmax_xent_forward: bad dimensions");
  if (N == 0) return;
  softmax_xent_forward_kernel<<<N, threads, 0, stream_of(ctx)>>>(losses, probs, logits, targets, V, label_smoothing);
  CUDA_CHECK_LAUNCH();
}

void softmax_xent_backward(const exec_context& ctx, float* dlogits, const float* dlosses, const float* probs,
                           const int* targets, int N, int V, float label_smoothing) {
  PLUMA_CHECK(N >= 0 && V > 0, "softmax_xent_backward: bad dimensions");
  if (N == 0) return;
  softmax_xent_backward_kernel<<<N, threads, 0, stream_of(ctx)>>>(dlogits, dlosses, probs, targets, V,
                                                                  label_smoothing);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
