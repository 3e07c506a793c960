// gelu: exact GELU, x * 0.5 * (1 + erf(x / sqrt(2))) (PyTorch's nn.GELU default).
#pragma once
#include "model/core/exec.h"

namespace pluma {

// out, inp: (N)
void gelu_forward(const exec_context& ctx, float* out, const float* inp, long N);
// adds into dinp (N)
void gelu_backward(const exec_context& ctx, float* dinp, const float* inp, const float* dout, long N);

}  // namespace pluma
