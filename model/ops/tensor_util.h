// tensor_util: small whole-buffer helpers the model scripts need (fill, sums, counting targets), so that
// model files stay scripts of op calls.
#pragma once
#include <cstdint>

#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/ops/grad_write.h"

namespace pluma {

// out: (N) = value
void tensor_fill(const exec_context& ctx, float* out, float value, long N);
// For kernels that only add into a gradient: g: (N) filled with zeros when it is to be overwritten (write is
// grad_write::overwrite and g is not nullptr), so adding into it writes it.
void zero_to_overwrite(const exec_context& ctx, grad_write write, float* g, long N);
// out: (N) = inp: (N)
void tensor_copy(const exec_context& ctx, float* out, const float* inp, long N);
// out: (N) ~ N(mean, std), drawn from gen in index order
void tensor_fill_normal(const exec_context& ctx, float* out, float mean, float std, long N, rng& gen);
// sum of inp: (N), accumulated in double in index order (deterministic)
double tensor_sum(const exec_context& ctx, const float* inp, long N);
// sum of inp[i]^2 over inp: (N), accumulated in double over fixed blocks, so the result does not depend on the
// number of threads (the global gradient norm is its square root); on the GPU it waits for the stream
double tensor_sumsq(const exec_context& ctx, const float* inp, long N);
// out: (N) the bfloat16 bits of inp: (N), rounded to nearest even (CPU only: bf16 weight copies for decoding)
void tensor_to_bf16(const exec_context& ctx, uint16_t* out, const float* inp, long N);
// number of targets: (N) that are >= 0 (negative targets are ignored by the loss)
long targets_count(const exec_context& ctx, const int* targets, long N);

}  // namespace pluma
