// residual: out = a + b.
#pragma once
#include "model/core/exec.h"

namespace pluma {

// out, a, b: (N)
void residual_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N);
// adds dout into da and db (N)
void residual_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N);

}  // namespace pluma
