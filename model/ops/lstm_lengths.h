// lstm_lengths: backward through an LSTM layer whose batch rows have their own lengths (padding after
// len[b]), as the encoder of a sequence-to-sequence model runs it: the forward is one lstm_forward over all
// T steps (padding positions compute values nobody reads), and the final state of row b is the state at
// step len[b]-1, not at T-1. The gradient of that final cell state has to enter there, which one
// lstm_backward call cannot do; this op runs lstm_backward once per segment between consecutive distinct
// lengths (few in a length-bucketed batch), passing the state gradients from segment to segment.
#pragma once
#include <cstddef>

#include "model/core/exec.h"
#include "model/ops/lstm.h"

namespace pluma {

inline size_t lstm_lengths_scratch_floats(int T, int B, int H) {
  return lstm_backward_scratch_floats(T, B, H) + 4 * size_t(B) * H;
}

// Adds into dx (T, B, C), dw_ih (4H, C), dw_hh (4H, H), db_ih, db_hh (4H). The initial state is zero.
// dh: (T, B, H) gradient of the outputs h (zero at padding positions); dc_last: (B, H) gradient of each
// row's final cell state c[len[b]-1, b], or nullptr (the final h's gradient goes into dh[len[b]-1, b]);
// x, h, c, gates, w_ih, w_hh: as lstm_forward left and read them; len: (B), each in [1, T];
// scratch: (lstm_lengths_scratch_floats(T, B, H))
void lstm_backward_lengths(const exec_context& ctx, float* dx, float* dw_ih, float* dw_hh, float* db_ih,
                           float* db_hh, const float* dh, const float* dc_last, const float* x, const float* w_ih,
                           const float* w_hh, const float* h, const float* c, const float* gates, const int* len,
                           float* scratch, int T, int B, int C, int H);

}  // namespace pluma
