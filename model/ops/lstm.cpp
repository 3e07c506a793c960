// lstm: dispatch on the device (only the CPU backend so far).
#include "model/ops/lstm.h"

#include "model/core/check.h"
#include "model/ops/dispatch.h"
#include "model/ops/cpu/lstm.h"

namespace pluma {

void lstm_forward(const exec_context& ctx, float* h, float* c, float* gates, float* hT, float* cT,
                  const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                  const float* b_ih, const float* b_hh, float* scratch, int T, int B, int C, int H) {
  PLUMA_DISPATCH_CPU_ONLY(lstm_forward, ctx, h, c, gates, hT, cT, x, h0, c0, w_ih, w_hh, b_ih, b_hh, scratch, T, B, C, H);
}

void lstm_backward(const exec_context& ctx, float* dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh,
                   float* db_ih, float* db_hh, const float* dh, const float* dhT, const float* dcT,
                   const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                   const float* h, const float* c, const float* gates, float* scratch, int T, int B, int C,
                   int H) {
  PLUMA_DISPATCH_CPU_ONLY(lstm_backward, ctx, dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dh, dhT, dcT, x, h0, c0, w_ih, w_hh, h, c,
                     gates, scratch, T, B, C, H);
}

void lstm_step(const exec_context& ctx, float* h_out, float* c_out, const float* x, const float* h_prev,
               const float* c_prev, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
               float* scratch, int B, int C, int H) {
  PLUMA_DISPATCH_CPU_ONLY(lstm_step, ctx, h_out, c_out, x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh, scratch, B, C, H);
}

void lstm_cell_forward(const exec_context& ctx, float* gates, float* c_out, float* h_out, const float* rec,
                       const float* b_hh, const float* c_prev, int B, int H) {
  PLUMA_DISPATCH_CPU_ONLY(lstm_cell_forward, ctx, gates, c_out, h_out, rec, b_hh, c_prev, B, H);
}

void lstm_cell_backward(const exec_context& ctx, float* dgates, float* dc, const float* dh_out, const float* dh_rec,
                        const float* gates, const float* c, const float* c_prev, int B, int H) {
  PLUMA_DISPATCH_CPU_ONLY(lstm_cell_backward, ctx, dgates, dc, dh_out, dh_rec, gates, c, c_prev, B, H);
}

}  // namespace pluma
