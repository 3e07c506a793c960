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

}  // namespace pluma
