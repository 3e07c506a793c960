// Parallel loops and deterministic parallel reductions for the CPU backend.
#pragma once
#include <omp.h>

#include <algorithm>

namespace pluma::cpu {

// Loops over fewer elements than this run on the calling thread: a parallel region costs more than it saves.
constexpr long parallel_min_work = 1L << 15;
inline bool worth_threads(long work) { return work >= parallel_min_work; }

// Calls f(i0, i1) on consecutive pieces of [0, n), one piece per thread, when `work` (elements touched) is
// worth threads; otherwise f(0, n) on the calling thread without entering OpenMP at all (a parallel region
// costs about 0.4 us even with one thread, which small decoding-size ops cannot afford). Piece boundaries are
// multiples of `align`, so vector kernels see whole vectors everywhere but at the very end.
template <class F>
void parallel_for_range(long n, long work, F&& f, long align = 16) {
  if (n <= align || !worth_threads(work) || omp_get_max_threads() == 1) {
    if (n > 0) f(0L, n);
    return;
  }
#pragma omp parallel
  {
    const long nt = omp_get_num_threads(), t = omp_get_thread_num();
    const long per = ((n + nt - 1) / nt + align - 1) / align * align;
    const long i0 = std::min(n, t * per), i1 = std::min(n, i0 + per);
    if (i0 < i1) f(i0, i1);
  }
}

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

// dst[c] += (or, with overwrite, =) the sum over rows n of x[n*C + c], for x: (N, C), dst: (C).
inline void column_sums(float* dst, const float* x, int N, int C, bool overwrite) {
  parallel_column_blocks(C, long(N) * C, [&](int c0, int c1) {
    float acc[column_block] = {};
    const int w = c1 - c0;
    for (int n = 0; n < N; n++) {
      const float* row = x + static_cast<long>(n) * C + c0;
#pragma omp simd
      for (int j = 0; j < w; j++) acc[j] += row[j];
    }
    for (int j = 0; j < w; j++) dst[c0 + j] = overwrite ? acc[j] : dst[c0 + j] + acc[j];
  });
}

}  // namespace pluma::cpu
