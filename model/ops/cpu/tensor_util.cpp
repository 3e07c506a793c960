#include "model/ops/cpu/tensor_util.h"

#include <algorithm>

namespace pluma::cpu {

void tensor_fill(const exec_context&, float* out, float value, long N) { std::fill(out, out + N, value); }

void tensor_fill_normal(const exec_context&, float* out, float mean, float std, long N, rng& gen) {
  for (long i = 0; i < N; i++) out[i] = mean + std * gen.normal();
}

double tensor_sum(const exec_context&, const float* inp, long N) {
  double s = 0.0;
  for (long i = 0; i < N; i++) s += inp[i];
  return s;
}

long targets_count(const exec_context&, const int* targets, long N) {
  return std::count_if(targets, targets + N, [](int t) { return t >= 0; });
}

}  // namespace pluma::cpu
