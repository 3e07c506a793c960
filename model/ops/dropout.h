// dropout (inverted): out = inp * mask, mask = 0 with probability p, else 1/(1-p). p == 0 copies.
#pragma once
#include "model/core/exec.h"
#include "model/core/rng.h"

namespace pluma {

// out, inp, mask: (N); mask is written and saved for backward; draws from `gen` in index order
void dropout_forward(const exec_context& ctx, float* out, float* mask, const float* inp, long N, float p,
                     rng& gen);
// adds dout * mask into dinp (N)
void dropout_backward(const exec_context& ctx, float* dinp, const float* dout, const float* mask, long N);

}  // namespace pluma
