#include "model/ops/cpu/transpose.h"

#include <cstring>

namespace pluma::cpu {

void transpose_bt(const exec_context&, float* out, const float* inp, int B, int T, int C) {
#pragma omp parallel for collapse(2) if (long(B) * T * C >= 65536)
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++)
      std::memcpy(out + (size_t(t) * B + b) * C, inp + (size_t(b) * T + t) * C, size_t(C) * sizeof(float));
}

void transpose_bt_tokens(const exec_context&, int* out, const int* inp, int B, int T) {
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) out[size_t(t) * B + b] = inp[size_t(b) * T + t];
}

}  // namespace pluma::cpu
