#include "model/ops/cpu/tensor_util.h"

#include <algorithm>
#include <vector>

#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {

void tensor_fill(const exec_context&, float* out, float value, long N) {
  parallel_for_range(N, N, [&](long i0, long i1) { std::fill(out + i0, out + i1, value); });
}

void tensor_copy(const exec_context&, float* out, const float* inp, long N) { std::copy(inp, inp + N, out); }

void tensor_fill_normal(const exec_context&, float* out, float mean, float std, long N, rng& gen) {
  for (long i = 0; i < N; i++) out[i] = mean + std * gen.normal();
}

double tensor_sum(const exec_context&, const float* inp, long N) {
  double s = 0.0;
  for (long i = 0; i < N; i++) s += inp[i];
  return s;
}

double tensor_sumsq(const exec_context&, const float* inp, long N) {
  constexpr long block = 8192;   // fixed blocks, each summed in a fixed order: the same result on any thread count
  const long nblocks = (N + block - 1) / block;
  std::vector<double> partial(nblocks > 0 ? nblocks : 0);
#pragma omp parallel for schedule(static) if (nblocks > 4)
  for (long b = 0; b < nblocks; b++) {
    const long lo = b * block, hi = std::min(N, lo + block);
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    long i = lo;
    for (; i + 8 <= hi; i += 8)
      for (int j = 0; j < 8; j++) acc[j] += static_cast<double>(inp[i + j]) * inp[i + j];
    for (; i < hi; i++) acc[0] += static_cast<double>(inp[i]) * inp[i];
    partial[b] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  }
  double sum = 0;
  for (double p : partial) sum += p;
  return sum;
}

long targets_count(const exec_context&, const int* targets, long N) {
  return std::count_if(targets, targets + N, [](int t) { return t >= 0; });
}

}  // namespace pluma::cpu
