// Deterministic parallel reductions for the CPU backend.
#pragma once
#include <algorithm>

namespace pluma::cpu {

// Loops over fewer elements than this run on the calling thread: a parallel region costs more than it saves.
constexpr long parallel_min_work = 1L << 15;
inline bool worth_threads(long work) { return work >= parallel_min_work; }

// Column block width of the reductions below: one block is a few AVX-512 vectors.
constexpr int column_block = 64;

// Calls f(c0, c1) for column blocks [c0, c1) of [0, C) in parallel. Each block belongs to one thread, which
// runs over all rows in order, so sums over rows come out the same for any thread count (no atomics).
// `work` is the total element count, for deciding whether threads are worth starting.
template <class F>
void parallel_column_blocks(int C, long work, F&& f) {
  const int nblocks = (C + column_block - 1) / column_block;
#pragma omp parallel for schedule(static) if (nblocks > 1 && worth_threads(work))
  for (int blk = 0; blk < nblocks; blk++) {
    const int c0 = blk * column_block;
    f(c0, std::min(C, c0 + column_block));
  }
}

// dst[c] += sum over rows n of x[n*C + c], for x: (N, C), dst: (C).
inline void add_column_sums(float* dst, const float* x, int N, int C) {
  parallel_column_blocks(C, long(N) * C, [&](int c0, int c1) {
    float acc[column_block] = {};
    const int w = c1 - c0;
    for (int n = 0; n < N; n++) {
      const float* row = x + static_cast<long>(n) * C + c0;
#pragma omp simd
      for (int j = 0; j < w; j++) acc[j] += row[j];
    }
    for (int j = 0; j < w; j++) dst[c0 + j] += acc[j];
  });
}

}  // namespace pluma::cpu
