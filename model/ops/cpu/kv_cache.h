// CPU entry point of the kv_cache op (same signature as model/ops/kv_cache.h).
#pragma once
#include "model/core/exec.h"

namespace pluma::cpu {

void kv_cache_write(const exec_context& ctx, float* q, float* kcache, float* vcache, const float* qkv, int B,
                    int pos, int maxT, int C, int NH);
void kv_cache_prefill(const exec_context& ctx, float* kcache, float* vcache, const float* qkv, int B, int T,
                      int maxT, int C, int NH);

}  // namespace pluma::cpu
