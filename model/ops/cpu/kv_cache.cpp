#include "model/ops/cpu/kv_cache.h"

#include <cstring>

namespace pluma::cpu {

void kv_cache_write(const exec_context&, float* q, float* kcache, float* vcache, const float* qkv, int B,
                    int pos, int maxT, int C, int NH) {
  const int HS = C / NH;
  for (int b = 0; b < B; b++) {
    const float* row = qkv + static_cast<long>(b) * 3 * C;
    std::memcpy(q + static_cast<long>(b) * C, row, sizeof(float) * C);
    for (int h = 0; h < NH; h++) {
      const long at = ((static_cast<long>(b) * NH + h) * maxT + pos) * HS;
      std::memcpy(kcache + at, row + C + h * HS, sizeof(float) * HS);
      std::memcpy(vcache + at, row + 2 * C + h * HS, sizeof(float) * HS);
    }
  }
}

void kv_cache_prefill(const exec_context&, float* kcache, float* vcache, const float* qkv, int B, int T,
                      int maxT, int C, int NH) {
  const int HS = C / NH;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const long at = (static_cast<long>(b) * NH + h) * maxT * HS;   // position 0 of (b, h)
      for (int t = 0; t < T; t++) {
        const float* row = qkv + (static_cast<long>(b) * T + t) * 3 * C;
        std::memcpy(kcache + at + static_cast<long>(t) * HS, row + C + h * HS, sizeof(float) * HS);
        std::memcpy(vcache + at + static_cast<long>(t) * HS, row + 2 * C + h * HS, sizeof(float) * HS);
      }
    }
}

}  // namespace pluma::cpu
