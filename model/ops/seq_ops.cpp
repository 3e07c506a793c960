// seq_ops: dispatch on the device (only the CPU backend so far).
#include "model/ops/seq_ops.h"

#include "model/core/check.h"
#include "model/ops/dispatch.h"
#include "model/ops/cpu/seq_ops.h"

#define PLUMA_SEQ_OPS_CPU(name, ...) PLUMA_DISPATCH_CPU_ONLY(name, ctx, __VA_ARGS__)

namespace pluma {

void tanh_forward(const exec_context& ctx, float* out, const float* inp, long N) {
  PLUMA_SEQ_OPS_CPU(tanh_forward, out, inp, N);
}
void tanh_backward(const exec_context& ctx, float* dinp, const float* out, const float* dout, long N) {
  PLUMA_SEQ_OPS_CPU(tanh_backward, dinp, out, dout, N);
}
void concat_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N, int C1, int C2) {
  PLUMA_SEQ_OPS_CPU(concat_forward, out, a, b, N, C1, C2);
}
void concat_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N, int C1, int C2) {
  PLUMA_SEQ_OPS_CPU(concat_backward, da, db, dout, N, C1, C2);
}
void seq_reverse_forward(const exec_context& ctx, float* out, const float* inp, const int* len, int T, int B,
                         int C) {
  PLUMA_SEQ_OPS_CPU(seq_reverse_forward, out, inp, len, T, B, C);
}
void seq_reverse_backward(const exec_context& ctx, float* dinp, const float* dout, const int* len, int T, int B,
                          int C) {
  PLUMA_SEQ_OPS_CPU(seq_reverse_backward, dinp, dout, len, T, B, C);
}
void bidir_merge_forward(const exec_context& ctx, float* out, const float* fw, const float* bw, const int* len,
                         int T, int B, int C1, int C2) {
  PLUMA_SEQ_OPS_CPU(bidir_merge_forward, out, fw, bw, len, T, B, C1, C2);
}
void bidir_merge_backward(const exec_context& ctx, float* dfw, float* dbw, const float* dout, const int* len,
                          int T, int B, int C1, int C2) {
  PLUMA_SEQ_OPS_CPU(bidir_merge_backward, dfw, dbw, dout, len, T, B, C1, C2);
}
void seq_last_forward(const exec_context& ctx, float* out, const float* inp, const int* len, int T, int B, int C) {
  PLUMA_SEQ_OPS_CPU(seq_last_forward, out, inp, len, T, B, C);
}
void seq_last_backward(const exec_context& ctx, float* dinp, const float* dout, const int* len, int T, int B,
                       int C) {
  PLUMA_SEQ_OPS_CPU(seq_last_backward, dinp, dout, len, T, B, C);
}
void gather_rows(const exec_context& ctx, float* out, const float* inp, const int* rows, int T, int N, int R,
                 int C) {
  PLUMA_SEQ_OPS_CPU(gather_rows, out, inp, rows, T, N, R, C);
}
void transpose_2d(const exec_context& ctx, float* out, const float* inp, int R, int C) {
  PLUMA_SEQ_OPS_CPU(transpose_2d, out, inp, R, C);
}
void log_softmax_forward(const exec_context& ctx, float* out, const float* inp, int N, int V) {
  PLUMA_SEQ_OPS_CPU(log_softmax_forward, out, inp, N, V);
}

}  // namespace pluma
