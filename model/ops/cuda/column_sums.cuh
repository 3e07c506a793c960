// Deterministic sums over the rows of an (N, C) matrix into per-column outputs, without atomics:
// stage 1 sums each chunk of rows into scratch (chunks, C); stage 2 adds the chunks, in order, into the
// outputs. A functor gives the NOUT values of element (n, c), so one pass can produce several sums (e.g.
// LayerNorm's weight and bias gradients).
#pragma once
#include <algorithm>

#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

template <int NOUT>
struct column_outputs {
  float* out[NOUT];   // (C) each; out[k] += column sums of value k (skipped when nullptr)
};

namespace column_sums_detail {

constexpr int tile = 32;        // columns per block (threadIdx.x)
constexpr int lanes = 8;        // row lanes per block (threadIdx.y)
constexpr int max_chunks = 128;

// partials: (NOUT, chunks, C); chunk blockIdx.y covers rows [y * rows_per_chunk, ...)
template <int NOUT, class F>
__global__ void partials_kernel(float* partials, F f, int N, int C, int rows_per_chunk) {
  __shared__ float s[NOUT][lanes][tile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c = blockIdx.x * tile + tx;
  const int n0 = blockIdx.y * rows_per_chunk;
  const int n1 = min(N, n0 + rows_per_chunk);
  float acc[NOUT];
#pragma unroll
  for (int k = 0; k < NOUT; k++) acc[k] = 0.0f;
  if (c < C) {
    for (int n = n0 + ty; n < n1; n += lanes) {
      float v[NOUT];
      f(n, c, v);
#pragma unroll
      for (int k = 0; k < NOUT; k++) acc[k] += v[k];
    }
  }
#pragma unroll
  for (int k = 0; k < NOUT; k++) s[k][ty][tx] = acc[k];
  __syncthreads();
  if (ty != 0 || c >= C) return;
#pragma unroll
  for (int k = 0; k < NOUT; k++) {
    float sum = s[k][0][tx];
    for (int r = 1; r < lanes; r++) sum += s[k][r][tx];
    partials[(static_cast<long>(k) * gridDim.y + blockIdx.y) * C + c] = sum;
  }
}

template <int NOUT>
__global__ void sum_chunks_kernel(column_outputs<NOUT> outs, const float* partials, int chunks, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
#pragma unroll
  for (int k = 0; k < NOUT; k++) {
    if (!outs.out[k]) continue;
    float sum = 0.0f;
    for (int j = 0; j < chunks; j++) sum += partials[(static_cast<long>(k) * chunks + j) * C + c];
    outs.out[k][c] += sum;
  }
}

}  // namespace column_sums_detail

// outs.out[k][c] += sum over n < N of f(n, c)[k]; f: __device__ void operator()(int n, int c, float* v) const
template <int NOUT, class F>
void column_sums(cudaStream_t stream, column_outputs<NOUT> outs, F f, int N, int C) {
  namespace d = column_sums_detail;
  if (N <= 0 || C <= 0) return;
  const int chunks = static_cast<int>(std::min<long>(d::max_chunks, ceil_div(N, 4 * d::lanes)));
  const int rows_per_chunk = static_cast<int>(ceil_div(N, chunks));
  stream_scratch partials(sizeof(float) * NOUT * static_cast<size_t>(chunks) * C, stream);
  const dim3 grid(static_cast<unsigned>(ceil_div(C, d::tile)), static_cast<unsigned>(chunks));
  d::partials_kernel<NOUT><<<grid, dim3(d::tile, d::lanes), 0, stream>>>(partials.as<float>(), f, N, C,
                                                                          rows_per_chunk);
  CUDA_CHECK_LAUNCH();
  d::sum_chunks_kernel<NOUT><<<static_cast<unsigned>(ceil_div(C, 256)), 256, 0, stream>>>(
      outs, partials.as<float>(), chunks, C);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
