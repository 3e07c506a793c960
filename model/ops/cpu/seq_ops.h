// The CPU backend of model/ops/seq_ops.h (same signatures; the header dispatches here).
#pragma once
#include "model/core/exec.h"

namespace pluma::cpu {

void tanh_forward(const exec_context& ctx, float* out, const float* inp, long N);
void tanh_backward(const exec_context& ctx, float* dinp, const float* out, const float* dout, long N);
void concat_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N, int C1, int C2);
void concat_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N, int C1, int C2);
void seq_reverse_forward(const exec_context& ctx, float* out, const float* inp, const int* len, int T, int B,
                         int C);
void seq_reverse_backward(const exec_context& ctx, float* dinp, const float* dout, const int* len, int T, int B,
                          int C);
void bidir_merge_forward(const exec_context& ctx, float* out, const float* fw, const float* bw, const int* len,
                         int T, int B, int C1, int C2);
void bidir_merge_backward(const exec_context& ctx, float* dfw, float* dbw, const float* dout, const int* len,
                          int T, int B, int C1, int C2);
void seq_last_forward(const exec_context& ctx, float* out, const float* inp, const int* len, int T, int B, int C);
void seq_last_backward(const exec_context& ctx, float* dinp, const float* dout, const int* len, int T, int B,
                       int C);
void gather_rows(const exec_context& ctx, float* out, const float* inp, const int* rows, int T, int N, int R,
                 int C);
void transpose_2d(const exec_context& ctx, float* out, const float* inp, int R, int C);
void log_softmax_forward(const exec_context& ctx, float* out, const float* inp, int N, int V);

}  // namespace pluma::cpu
