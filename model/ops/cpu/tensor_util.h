// CPU entry points of the tensor_util ops (same signatures as model/ops/tensor_util.h).
#pragma once
#include "model/core/exec.h"
#include "model/core/rng.h"

namespace pluma::cpu {

void tensor_fill(const exec_context& ctx, float* out, float value, long N);
void tensor_copy(const exec_context& ctx, float* out, const float* inp, long N);
void tensor_fill_normal(const exec_context& ctx, float* out, float mean, float std, long N, rng& gen);
double tensor_sum(const exec_context& ctx, const float* inp, long N);
double tensor_sumsq(const exec_context& ctx, const float* inp, long N);
long targets_count(const exec_context& ctx, const int* targets, long N);

}  // namespace pluma::cpu
