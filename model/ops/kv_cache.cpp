// Dispatch of the kv_cache op to its backend.
#include "model/ops/kv_cache.h"

#include "model/ops/cpu/kv_cache.h"
#include "model/ops/dispatch.h"

namespace pluma {

void kv_cache_write(const exec_context& ctx, float* q, float* kcache, float* vcache, const float* qkv, int B,
                    int pos, int maxT, int C, int NH) {
  PLUMA_CHECK(pos >= 0 && pos < maxT, "kv_cache_write: position outside the cache");
  PLUMA_DISPATCH(kv_cache_write, ctx, q, kcache, vcache, qkv, B, pos, maxT, C, NH);
}

void kv_cache_prefill(const exec_context& ctx, float* kcache, float* vcache, const float* qkv, int B, int T,
                      int maxT, int C, int NH) {
  PLUMA_CHECK(T >= 1 && T <= maxT, "kv_cache_prefill: need 1 <= T <= maxT");
  PLUMA_CHECK(NH > 0 && C % NH == 0, "kv_cache_prefill: the number of heads must divide the width");
  PLUMA_DISPATCH(kv_cache_prefill, ctx, kcache, vcache, qkv, B, T, maxT, C, NH);
}

}  // namespace pluma
