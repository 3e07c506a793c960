// embedding: token (and optional learned position) embedding lookup.
#pragma once
#include "model/core/exec.h"

namespace pluma {

// out: (B, T, C); tokens: (B, T); wte: (V, C); wpe: (maxT, C) or nullptr (no position embedding)
void embedding_forward(const exec_context& ctx, float* out, const int* tokens, const float* wte,
                       const float* wpe, int B, int T, int C);
// adds into dwte (V, C) and dwpe (maxT, C) (skipped when nullptr)
void embedding_backward(const exec_context& ctx, float* dwte, float* dwpe, const float* dout,
                        const int* tokens, int B, int T, int C);

}  // namespace pluma
