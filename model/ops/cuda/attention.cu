// Causal multi-head attention on the GPU, fused: no (T, T) score matrix is formed on the way to the output.
//
// Forward (one block per 64 query rows of one (b, h), one thread per query row): key and value tiles go
// through shared memory; each thread keeps its q row, a running maximum, a running sum and its output row in
// registers and rescales them tile by tile (online softmax). A second sweep over the key tiles recomputes
// the scores and writes the normalized probabilities to `att` (the op's contract saves them for backward),
// staged through shared memory so the writes are coalesced; tiles past the diagonal are written as zeros.
//
// Backward, from the saved probabilities P, with dP = dout · vᵀ and delta_t = sum_j P_tj dP_tj:
//   dq_t = scale * sum_j P_tj (dP_tj - delta_t) k_j    (query kernel: one thread per query row; it first
//                                                       sweeps the keys for delta_t, then for dq_t)
//   dk_j = scale * sum_t P_tj (dP_tj - delta_t) q_t,  dv_j = sum_t P_tj dout_t
//                                                      (key kernel: one thread per key row)
// Every output row belongs to one thread: no atomics, deterministic. Head sizes up to 128, padded with
// zeros to the kernel's compile-time width D (16, 32, 64 or 128).
#include <cmath>

#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int fwd_rows = 64;    // query rows per block (forward and query-side backward) = threads
constexpr int key_tile = 32;    // keys per shared-memory tile
constexpr int bwd_keys = 64;    // key rows per block (key-side backward) = threads
constexpr int query_tile = 32;  // query rows per shared-memory tile (key-side backward)

// tile[r][d] = row (r0 + r) of the matrix at `src` (stride C3), zero past T or past HS.
template <int D, int ROWS, int THREADS>
__device__ inline void load_rows(float (*tile)[D], const float* src, long stride, int r0, int T, int HS) {
  for (int idx = threadIdx.x; idx < ROWS * D; idx += THREADS) {
    const int r = idx / D, d = idx % D;
    const int row = r0 + r;
    tile[r][d] = (row < T && d < HS) ? src[row * stride + d] : 0.0f;
  }
}

// tile[r][c] = p[(r0 + r) * T + c0 + c] (a block of the (T, T) probabilities), zero outside.
template <int ROWS, int COLS, int THREADS>
__device__ inline void load_probs(float (*tile)[COLS + 1], const float* p, int r0, int c0, int T) {
  for (int idx = threadIdx.x; idx < ROWS * COLS; idx += THREADS) {
    const int r = idx / COLS, c = idx % COLS;
    const int row = r0 + r, col = c0 + c;
    tile[r][c] = (row < T && col < T) ? p[static_cast<long>(row) * T + col] : 0.0f;
  }
}

// a · b over D floats, b a 16-byte aligned shared-memory row (read as broadcast float4)
template <int D>
__device__ inline float dot_row(const float (&a)[D], const float* b) {
  const float4* b4 = reinterpret_cast<const float4*>(b);
  float s = 0.0f;
#pragma unroll
  for (int i = 0; i < D / 4; i++) {
    const float4 v = b4[i];
    s += a[4 * i] * v.x + a[4 * i + 1] * v.y + a[4 * i + 2] * v.z + a[4 * i + 3] * v.w;
  }
  return s;
}

// acc += w * b, b a 16-byte aligned shared-memory row
template <int D>
__device__ inline void axpy_row(float (&acc)[D], float w, const float* b) {
  const float4* b4 = reinterpret_cast<const float4*>(b);
#pragma unroll
  for (int i = 0; i < D / 4; i++) {
    const float4 v = b4[i];
    acc[4 * i] += w * v.x;
    acc[4 * i + 1] += w * v.y;
    acc[4 * i + 2] += w * v.z;
    acc[4 * i + 3] += w * v.w;
  }
}

template <int D>
__device__ inline void load_row(float (&r)[D], const float* src, int HS, bool active) {
#pragma unroll
  for (int d = 0; d < D; d++) r[d] = (active && d < HS) ? src[d] : 0.0f;
}

// grid (ceil(T / fwd_rows), B * NH), block fwd_rows
template <int D>
__global__ void __launch_bounds__(fwd_rows) attention_forward_kernel(float* out, float* att, const float* qkv,
                                                                      int T, int C, int NH, float scale) {
  __shared__ __align__(16) float ks[key_tile][D];
  __shared__ __align__(16) float vs[key_tile][D];
  __shared__ float ps[fwd_rows][key_tile + 1];
  const int HS = C / NH;
  const int bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const long C3 = 3L * C;
  const float* base = qkv + static_cast<long>(b) * T * C3 + h * HS;   // q of (b, 0, h)
  const int row0 = blockIdx.x * fwd_rows;
  const int t = row0 + threadIdx.x;
  const bool active = t < T;
  const int last = min(T, row0 + fwd_rows) - 1;   // the block's last query row

  float q[D], o[D];
  load_row<D>(q, base + static_cast<long>(t) * C3, HS, active);
#pragma unroll
  for (int d = 0; d < D; d++) o[d] = 0.0f;
  float m = -INFINITY, l = 0.0f;

  for (int j0 = 0; j0 <= last; j0 += key_tile) {
    load_rows<D, key_tile, fwd_rows>(ks, base + C, C3, j0, T, HS);
    load_rows<D, key_tile, fwd_rows>(vs, base + 2 * C, C3, j0, T, HS);
    __syncthreads();
    if (active && j0 <= t) {
      float s[key_tile];
      float tile_max = -INFINITY;
#pragma unroll
      for (int j = 0; j < key_tile; j++) {
        s[j] = j0 + j <= t ? scale * dot_row<D>(q, ks[j]) : -INFINITY;
        tile_max = fmaxf(tile_max, s[j]);
      }
      const float m_new = fmaxf(m, tile_max);   // finite: key j0 <= t is in this tile
      const float corr = expf(m - m_new);       // 0 on the first tile
      l *= corr;
#pragma unroll
      for (int d = 0; d < D; d++) o[d] *= corr;
#pragma unroll
      for (int j = 0; j < key_tile; j++) {
        const float p = expf(s[j] - m_new);     // 0 where masked
        l += p;
        axpy_row<D>(o, p, vs[j]);
      }
      m = m_new;
    }
    __syncthreads();
  }

  if (active) {
    float* dst = out + (static_cast<long>(b) * T + t) * C + h * HS;
    const float inv = 1.0f / l;
#pragma unroll
    for (int d = 0; d < D; d++)
      if (d < HS) dst[d] = o[d] * inv;
  }
  if (!att) return;

  // second sweep: the normalized probabilities, row t of (b, h) in att[bh][t][.]
  const float lse = m + logf(l);
  float* att_bh = att + static_cast<long>(bh) * T * T;
  for (int j0 = 0; j0 < T; j0 += key_tile) {
    const bool computed = j0 <= last;   // uniform over the block
    if (computed) {
      load_rows<D, key_tile, fwd_rows>(ks, base + C, C3, j0, T, HS);
      __syncthreads();
#pragma unroll
      for (int j = 0; j < key_tile; j++)
        ps[threadIdx.x][j] = (active && j0 + j <= t) ? expf(scale * dot_row<D>(q, ks[j]) - lse) : 0.0f;
      __syncthreads();
    }
    for (int idx = threadIdx.x; idx < fwd_rows * key_tile; idx += fwd_rows) {
      const int r = idx / key_tile, c = idx % key_tile;
      const int row = row0 + r, col = j0 + c;
      if (row < T && col < T) att_bh[static_cast<long>(row) * T + col] = computed ? ps[r][c] : 0.0f;
    }
    __syncthreads();   // ps and ks are rewritten by the next tile
  }
}

// Query side of the backward: delta (B*NH, T) and dq. grid (ceil(T / fwd_rows), B * NH), block fwd_rows.
template <int D>
__global__ void __launch_bounds__(fwd_rows) attention_backward_query_kernel(float* dqkv, float* delta,
                                                                             const float* dout, const float* qkv,
                                                                             const float* att, int T, int C,
                                                                             int NH, float scale) {
  __shared__ __align__(16) float ks[key_tile][D];
  __shared__ __align__(16) float vs[key_tile][D];
  __shared__ float ps[fwd_rows][key_tile + 1];
  const int HS = C / NH;
  const int bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const long C3 = 3L * C;
  const long head_off = static_cast<long>(b) * T * C3 + h * HS;
  const float* base = qkv + head_off;
  const float* att_bh = att + static_cast<long>(bh) * T * T;
  const int row0 = blockIdx.x * fwd_rows;
  const int t = row0 + threadIdx.x;
  const bool active = t < T;
  const int last = min(T, row0 + fwd_rows) - 1;

  float g[D], acc[D];   // g: dout row t of head h
  load_row<D>(g, dout + (static_cast<long>(b) * T + t) * C + h * HS, HS, active);
#pragma unroll
  for (int d = 0; d < D; d++) acc[d] = 0.0f;

  // sweep 1: acc = out_t = sum_j P_tj v_j, then delta_t = dout_t · out_t
  for (int j0 = 0; j0 <= last; j0 += key_tile) {
    load_rows<D, key_tile, fwd_rows>(vs, base + 2 * C, C3, j0, T, HS);
    load_probs<fwd_rows, key_tile, fwd_rows>(ps, att_bh, row0, j0, T);
    __syncthreads();
    if (active && j0 <= t) {
#pragma unroll
      for (int j = 0; j < key_tile; j++) axpy_row<D>(acc, j0 + j <= t ? ps[threadIdx.x][j] : 0.0f, vs[j]);
    }
    __syncthreads();
  }
  float dl = 0.0f;
#pragma unroll
  for (int d = 0; d < D; d++) {
    dl += g[d] * acc[d];
    acc[d] = 0.0f;
  }
  if (active) delta[static_cast<long>(bh) * T + t] = dl;

  // sweep 2: acc = dq_t
  for (int j0 = 0; j0 <= last; j0 += key_tile) {
    load_rows<D, key_tile, fwd_rows>(ks, base + C, C3, j0, T, HS);
    load_rows<D, key_tile, fwd_rows>(vs, base + 2 * C, C3, j0, T, HS);
    load_probs<fwd_rows, key_tile, fwd_rows>(ps, att_bh, row0, j0, T);
    __syncthreads();
    if (active && j0 <= t) {
#pragma unroll
      for (int j = 0; j < key_tile; j++) {
        const float p = j0 + j <= t ? ps[threadIdx.x][j] : 0.0f;
        const float ds = scale * p * (dot_row<D>(g, vs[j]) - dl);
        axpy_row<D>(acc, ds, ks[j]);
      }
    }
    __syncthreads();
  }
  if (active) {
    float* dq = dqkv + head_off + static_cast<long>(t) * C3;
#pragma unroll
    for (int d = 0; d < D; d++)
      if (d < HS) dq[d] += acc[d];
  }
}

// Key side of the backward: dk, dv. grid (ceil(T / bwd_keys), B * NH), block bwd_keys.
template <int D>
__global__ void __launch_bounds__(bwd_keys) attention_backward_key_kernel(float* dqkv, const float* delta,
                                                                           const float* dout, const float* qkv,
                                                                           const float* att, int T, int C,
                                                                           int NH, float scale) {
  __shared__ __align__(16) float qs[query_tile][D];
  __shared__ __align__(16) float gs[query_tile][D];   // dout rows
  __shared__ float ps[query_tile][bwd_keys + 1];       // P[query][key]
  __shared__ float ds_delta[query_tile];
  const int HS = C / NH;
  const int bh = blockIdx.y, b = bh / NH, h = bh % NH;
  const long C3 = 3L * C;
  const long head_off = static_cast<long>(b) * T * C3 + h * HS;
  const float* base = qkv + head_off;
  const float* att_bh = att + static_cast<long>(bh) * T * T;
  const float* gbase = dout + static_cast<long>(b) * T * C + h * HS;   // dout of (b, 0, h), row stride C
  const int key0 = blockIdx.x * bwd_keys;
  const int j = key0 + threadIdx.x;
  const bool active = j < T;

  float v[D], dk[D], dv[D];
  load_row<D>(v, base + 2 * C + static_cast<long>(j) * C3, HS, active);
#pragma unroll
  for (int d = 0; d < D; d++) dk[d] = dv[d] = 0.0f;

  // queries t >= j >= key0; key0 is a multiple of query_tile
  for (int i0 = key0; i0 < T; i0 += query_tile) {
    load_rows<D, query_tile, bwd_keys>(qs, base, C3, i0, T, HS);
    load_rows<D, query_tile, bwd_keys>(gs, gbase, C, i0, T, HS);
    load_probs<query_tile, bwd_keys, bwd_keys>(ps, att_bh, i0, key0, T);
    for (int r = threadIdx.x; r < query_tile; r += bwd_keys)
      ds_delta[r] = i0 + r < T ? delta[static_cast<long>(bh) * T + i0 + r] : 0.0f;
    __syncthreads();
    if (active) {
#pragma unroll 4
      for (int i = 0; i < query_tile; i++) {
        const int t = i0 + i;
        const float p = (t >= j && t < T) ? ps[i][threadIdx.x] : 0.0f;
        const float ds = scale * p * (dot_row<D>(v, gs[i]) - ds_delta[i]);
        axpy_row<D>(dv, p, gs[i]);
        axpy_row<D>(dk, ds, qs[i]);
      }
    }
    __syncthreads();
  }
  if (active) {
    float* dkr = dqkv + head_off + static_cast<long>(j) * C3 + C;
    float* dvr = dkr + C;
#pragma unroll
    for (int d = 0; d < D; d++) {
      if (d < HS) {
        dkr[d] += dk[d];
        dvr[d] += dv[d];
      }
    }
  }
}

// One decoding step: block per (b, h), decode_warps warps; warp w takes keys w, w + decode_warps, ...
// with its own online softmax; lane owns dims lane + 32 i. The warps' partial results merge at the end.
constexpr int decode_warps = 4;

template <int D>
__global__ void __launch_bounds__(32 * decode_warps) attention_decode_kernel(float* out, const float* q,
                                                                              const float* kcache,
                                                                              const float* vcache, int len,
                                                                              int maxT, int C, int NH,
                                                                              float scale) {
  constexpr int per_lane = D / 32;
  __shared__ float sm[decode_warps], sl[decode_warps];
  __shared__ float so[decode_warps][D];
  const int HS = C / NH;
  const int bh = blockIdx.x, b = bh / NH, h = bh % NH;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const float* qh = q + static_cast<long>(b) * C + h * HS;
  const float* kc = kcache + static_cast<long>(bh) * maxT * HS;   // (maxT, HS)
  const float* vc = vcache + static_cast<long>(bh) * maxT * HS;
  float qr[per_lane], o[per_lane];
#pragma unroll
  for (int i = 0; i < per_lane; i++) {
    const int d = lane + 32 * i;
    qr[i] = d < HS ? qh[d] : 0.0f;
    o[i] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  for (int t2 = warp; t2 < len; t2 += decode_warps) {
    const float* kr = kc + static_cast<long>(t2) * HS;
    const float* vr = vc + static_cast<long>(t2) * HS;
    float part = 0.0f;
#pragma unroll
    for (int i = 0; i < per_lane; i++) {
      const int d = lane + 32 * i;
      if (d < HS) part += qr[i] * kr[d];
    }
    const float s = scale * warp_sum(part);
    const float m_new = fmaxf(m, s);
    const float corr = expf(m - m_new), p = expf(s - m_new);
    l = l * corr + p;
#pragma unroll
    for (int i = 0; i < per_lane; i++) {
      const int d = lane + 32 * i;
      o[i] = o[i] * corr + (d < HS ? p * vr[d] : 0.0f);
    }
    m = m_new;
  }
  if (lane == 0) {
    sm[warp] = m;
    sl[warp] = l;
  }
#pragma unroll
  for (int i = 0; i < per_lane; i++) so[warp][lane + 32 * i] = o[i];
  __syncthreads();
  if (warp != 0) return;
  float M = -INFINITY;
  for (int w = 0; w < decode_warps; w++) M = fmaxf(M, sm[w]);
  float L = 0.0f, acc[per_lane];
#pragma unroll
  for (int i = 0; i < per_lane; i++) acc[i] = 0.0f;
  for (int w = 0; w < decode_warps; w++) {
    const float f = sm[w] == -INFINITY ? 0.0f : expf(sm[w] - M);   // a warp that saw no key adds nothing
    L += sl[w] * f;
#pragma unroll
    for (int i = 0; i < per_lane; i++) acc[i] += so[w][lane + 32 * i] * f;
  }
  float* dst = out + static_cast<long>(b) * C + h * HS;
#pragma unroll
  for (int i = 0; i < per_lane; i++) {
    const int d = lane + 32 * i;
    if (d < HS) dst[d] = acc[i] / L;
  }
}

// The kernels' compile-time head width for a head size: 16, 32, 64 or 128 (0: unsupported; gpt_config_validate
// refuses wider heads with a message, gpt_max_head_width). Tuning note: at 128, ptxas (sm_90, -Xptxas -v)
// reports 255 registers and spills in the forward and backward kernels, whose threads each hold a query row
// and an output row of D floats: splitting a row over several threads is the next step there.
int head_width(int HS) {
  if (HS <= 16) return 16;
  if (HS <= 32) return 32;
  if (HS <= 64) return 64;
  if (HS <= 128) return 128;
  return 0;
}

void check_heads(int B, int C, int NH, int T) {
  PLUMA_CHECK(NH > 0 && C % NH == 0, "attention: the number of heads must divide the width");
  PLUMA_CHECK(static_cast<long>(B) * NH <= 65535, "attention (CUDA): B * NH above 65535 (the grid's y limit)");
  PLUMA_CHECK(head_width(C / NH) != 0, "attention (CUDA): head size C/NH above 128 is not supported");
  PLUMA_CHECK(T >= 0, "attention: bad sequence length");
}

// Runs K<width>::run(args...) with the head width as a compile-time constant.
template <template <int> class K, class... Args>
void launch_by_width(int HS, Args&&... args) {
  switch (head_width(HS)) {
    case 16: K<16>::run(args...); break;
    case 32: K<32>::run(args...); break;
    case 64: K<64>::run(args...); break;
    default: K<128>::run(args...); break;
  }
}

template <int D>
struct forward_launch {
  static void run(cudaStream_t s, float* out, float* att, const float* qkv, int B, int T, int C, int NH,
                  float scale) {
    const dim3 grid(static_cast<unsigned>(ceil_div(T, fwd_rows)), static_cast<unsigned>(B * NH));
    attention_forward_kernel<D><<<grid, fwd_rows, 0, s>>>(out, att, qkv, T, C, NH, scale);
    CUDA_CHECK_LAUNCH();
  }
};

template <int D>
struct backward_launch {
  static void run(cudaStream_t s, float* dqkv, float* delta, const float* dout, const float* qkv, const float* att,
                  int B, int T, int C, int NH, float scale) {
    const dim3 qgrid(static_cast<unsigned>(ceil_div(T, fwd_rows)), static_cast<unsigned>(B * NH));
    attention_backward_query_kernel<D><<<qgrid, fwd_rows, 0, s>>>(dqkv, delta, dout, qkv, att, T, C, NH, scale);
    CUDA_CHECK_LAUNCH();
    const dim3 kgrid(static_cast<unsigned>(ceil_div(T, bwd_keys)), static_cast<unsigned>(B * NH));
    attention_backward_key_kernel<D><<<kgrid, bwd_keys, 0, s>>>(dqkv, delta, dout, qkv, att, T, C, NH, scale);
    CUDA_CHECK_LAUNCH();
  }
};

template <int D>
struct decode_launch {
  static void run(cudaStream_t s, float* out, const float* q, const float* kcache, const float* vcache, int B,
                  int len, int maxT, int C, int NH, float scale) {
    constexpr int W = D < 32 ? 32 : D;   // a lane owns whole multiples of 32 dims
    attention_decode_kernel<W><<<static_cast<unsigned>(B * NH), 32 * decode_warps, 0, s>>>(
        out, q, kcache, vcache, len, maxT, C, NH, scale);
    CUDA_CHECK_LAUNCH();
  }
};

}  // namespace

void attention_forward(const exec_context& ctx, float* out, float* att, const float* qkv, int B, int T, int C,
                       int NH) {
  check_heads(B, C, NH, T);
  if (B == 0 || T == 0) return;
  const int HS = C / NH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  launch_by_width<forward_launch>(HS, stream_of(ctx), out, att, qkv, B, T, C, NH, scale);
}

void attention_backward(const exec_context& ctx, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH) {
  check_heads(B, C, NH, T);
  if (B == 0 || T == 0) return;
  const int HS = C / NH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  cudaStream_t s = stream_of(ctx);
  stream_scratch delta(sizeof(float) * static_cast<size_t>(B) * NH * T, s);   // (B, NH, T)
  launch_by_width<backward_launch>(HS, s, dqkv, delta.as<float>(), dout, qkv, att, B, T, C, NH, scale);
}

void attention_decode(const exec_context& ctx, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH) {
  check_heads(B, C, NH, maxT);
  PLUMA_CHECK(len >= 1 && len <= maxT, "attention_decode: need 1 <= len <= maxT");
  if (B == 0) return;
  const int HS = C / NH;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  launch_by_width<decode_launch>(HS, stream_of(ctx), out, q, kcache, vcache, B, len, maxT, C, NH, scale);
}

}  // namespace pluma::cuda
