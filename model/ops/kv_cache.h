// kv_cache: the per-layer key/value cache of incremental GPT decoding.
#pragma once
#include "model/core/exec.h"

namespace pluma {

// Splits the fused projection of one new position, qkv: (B, 3*C) laid out as [q | k | v] (head h in
// columns h*HS..(h+1)*HS-1 of each, HS = C/NH), into q: (B, C) and position `pos` of
// kcache, vcache: (B, NH, maxT, HS).
void kv_cache_write(const exec_context& ctx, float* q, float* kcache, float* vcache, const float* qkv, int B,
                    int pos, int maxT, int C, int NH);
// Positions 0..T-1 at once (a prompt's prefill): qkv: (B, T, 3*C) as above into positions 0..T-1 of
// kcache, vcache: (B, NH, maxT, HS); 1 <= T <= maxT.
void kv_cache_prefill(const exec_context& ctx, float* kcache, float* vcache, const float* qkv, int B, int T,
                      int maxT, int C, int NH);

}  // namespace pluma
