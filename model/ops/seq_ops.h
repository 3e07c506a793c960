// seq_ops: the small pointwise and layout ops of the sequence-to-sequence model, over time-major (T, B, C)
// buffers whose rows have their own lengths (padding after len[b]), so that model/rnn/seq2seq.cpp stays a
// script of op calls. Backward functions ADD into their gradients.
#pragma once
#include "model/core/exec.h"

namespace pluma {

// out, inp: (N); out = tanh(inp)
void tanh_forward(const exec_context& ctx, float* out, const float* inp, long N);
// adds dout * (1 - out²) into dinp (N); out is the forward's output
void tanh_backward(const exec_context& ctx, float* dinp, const float* out, const float* dout, long N);

// out: (N, C1 + C2) = [a | b]; a: (N, C1); b: (N, C2)
void concat_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N, int C1, int C2);
// adds the two column blocks of dout (N, C1 + C2) into da (N, C1) and db (N, C2) (each skipped when nullptr)
void concat_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N, int C1, int C2);

// Per-row time reversal: out[t, b] = inp[len[b]-1-t, b] for t < len[b], 0 after.
// out, inp: (T, B, C); len: (B), each in [0, T]
void seq_reverse_forward(const exec_context& ctx, float* out, const float* inp, const int* len, int T, int B,
                         int C);
// adds dout[t, b] into dinp[len[b]-1-t, b] for t < len[b]
void seq_reverse_backward(const exec_context& ctx, float* dinp, const float* dout, const int* len, int T, int B,
                          int C);

// The two directions of a bidirectional layer side by side in source order, zero on padding:
// out[t, b] = [fw[t, b] | bw[len[b]-1-t, b]] for t < len[b], else 0 (bw ran over the reversed rows).
// out: (T, B, C1 + C2); fw: (T, B, C1); bw: (T, B, C2); len: (B), each in [0, T]
void bidir_merge_forward(const exec_context& ctx, float* out, const float* fw, const float* bw, const int* len,
                         int T, int B, int C1, int C2);
// adds into dfw (T, B, C1) and dbw (T, B, C2); padding positions receive nothing
void bidir_merge_backward(const exec_context& ctx, float* dfw, float* dbw, const float* dout, const int* len,
                          int T, int B, int C1, int C2);

// The last real position of each row: out[b] = inp[len[b]-1, b]. out: (B, C); inp: (T, B, C); len: (B) in [1, T]
void seq_last_forward(const exec_context& ctx, float* out, const float* inp, const int* len, int T, int B, int C);
// adds dout[b] into dinp[len[b]-1, b]
void seq_last_backward(const exec_context& ctx, float* dinp, const float* dout, const int* len, int T, int B,
                       int C);

// Row gather in each of T blocks: out[t, r] = inp[t, rows[r]]. out: (T, R, C); inp: (T, N, C); rows: (R) in [0, N).
// out must not alias inp.
void gather_rows(const exec_context& ctx, float* out, const float* inp, const int* rows, int T, int N, int R,
                 int C);

// out: (C, R) = inpᵀ; inp: (R, C)
void transpose_2d(const exec_context& ctx, float* out, const float* inp, int R, int C);

// Row-wise log-softmax (decoding scores): out[n, v] = inp[n, v] - log sum_u exp(inp[n, u]). out, inp: (N, V)
// (out may alias inp). No backward: decoding only.
void log_softmax_forward(const exec_context& ctx, float* out, const float* inp, int N, int V);

}  // namespace pluma
