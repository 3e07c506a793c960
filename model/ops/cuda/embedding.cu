// embedding on the GPU. Forward: one thread per output element. Backward without atomics, so gradients are
// deterministic: the position gradient sums over the batch in order; for the token gradient the positions
// are sorted by token id (a stable radix sort keeps position order), and each run of equal ids is summed in
// order by one thread per column.
#include <cub/device/device_radix_sort.cuh>

#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int threads = 256;

__global__ void embedding_forward_kernel(float* out, const int* tokens, const float* wte, const float* wpe,
                                         int T, int C, long total) {
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
    const long bt = i / C;
    const int c = static_cast<int>(i % C);
    const int t = static_cast<int>(bt % T);
    float v = wte[static_cast<long>(tokens[bt]) * C + c];
    if (wpe) v += wpe[static_cast<long>(t) * C + c];
    out[i] = v;
  }
}

// dwpe (T, C) += sum over b of dout (B, T, C)
__global__ void embedding_backward_pos_kernel(float* dwpe, const float* dout, int B, int T, int C) {
  const long total = static_cast<long>(T) * C;
  for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
    float sum = 0.0f;
    for (int b = 0; b < B; b++) sum += dout[static_cast<long>(b) * total + i];
    dwpe[i] += sum;
  }
}

__global__ void iota_kernel(int* out, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) out[i] = i;
}

// Block (x = sorted index i, y = column tile): if i starts a run of equal tokens, sum the run's dout rows in
// position order into that token's dwte row.
__global__ void embedding_backward_token_kernel(float* dwte, const float* dout, const int* sorted_tokens,
                                                const int* sorted_pos, int BT, int C) {
  const int i = blockIdx.x;
  const int c = blockIdx.y * blockDim.x + threadIdx.x;
  const int token = sorted_tokens[i];
  if (c >= C || token < 0 || (i > 0 && sorted_tokens[i - 1] == token)) return;
  float sum = 0.0f;
  for (int j = i; j < BT && sorted_tokens[j] == token; j++) sum += dout[static_cast<long>(sorted_pos[j]) * C + c];
  dwte[static_cast<long>(token) * C + c] += sum;
}

}  // namespace

void embedding_forward(const exec_context& ctx, float* out, const int* tokens, const float* wte,
                       const float* wpe, int B, int T, int C) {
  PLUMA_CHECK(B >= 0 && T >= 0 && C > 0, "embedding_forward: bad dimensions");
  const long total = static_cast<long>(B) * T * C;
  if (total == 0) return;
  embedding_forward_kernel<<<grid_for(total, threads), threads, 0, stream_of(ctx)>>>(out, tokens, wte, wpe, T, C,
                                                                                     total);
  CUDA_CHECK_LAUNCH();
}

void embedding_backward(const exec_context& ctx, float* dwte, float* dwpe, const float* dout,
                        const int* tokens, int B, int T, int C) {
  PLUMA_CHECK(B >= 0 && T >= 0 && C > 0, "embedding_backward: bad dimensions");
  const int BT = B * T;
  if (BT == 0) return;
  cudaStream_t stream = stream_of(ctx);
  if (dwpe) {
    embedding_backward_pos_kernel<<<grid_for(static_cast<long>(T) * C, threads), threads, 0, stream>>>(
        dwpe, dout, B, T, C);
    CUDA_CHECK_LAUNCH();
  }
  // sort (token, position) pairs by token
  size_t sort_bytes = 0;
  CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, tokens, static_cast<int*>(nullptr),
                                             static_cast<const int*>(nullptr), static_cast<int*>(nullptr), BT, 0,
                                             32, stream));
  const size_t ints = 3 * static_cast<size_t>(BT);
  stream_scratch scratch(ints * sizeof(int) + sort_bytes + 256, stream);
  int* positions = scratch.as<int>();    // (BT) 0..BT-1
  int* sorted_tokens = positions + BT;   // (BT)
  int* sorted_pos = sorted_tokens + BT;  // (BT)
  void* sort_temp = reinterpret_cast<char*>(scratch.as<char>()) + (ints * sizeof(int) + 255) / 256 * 256;
  iota_kernel<<<grid_for(BT, threads), threads, 0, stream>>>(positions, BT);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cub::DeviceRadixSort::SortPairs(sort_temp, sort_bytes, tokens, sorted_tokens,
                                             static_cast<const int*>(positions), sorted_pos, BT, 0, 32, stream));
  const dim3 grid(static_cast<unsigned>(BT), static_cast<unsigned>(ceil_div(C, threads)));
  embedding_backward_token_kernel<<<grid, threads, 0, stream>>>(dwte, dout, sorted_tokens, sorted_pos, BT, C);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
