// lstm: one LSTM layer over a whole sequence, time-major, gates in PyTorch's order (i, f, g, o):
//   pre_t = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh      i, f, o = sigmoid(pre); g = tanh(pre)
//   c_t = f*c_{t-1} + i*g                                  h_t = o*tanh(c_t)
// The input projection of all T steps is one matmul; each step then does the recurrent matmul and the
// fused cell pointwise. Forward saves the activated gates and the cell states for backward through time.
// A missing initial state (h0 or c0 == nullptr) means zeros.
#pragma once
#include <cstdint>
#include <cstddef>
#include <memory>

#include "model/core/exec.h"

namespace pluma {

inline size_t lstm_forward_scratch_floats(int B, int H) { return size_t(B) * 4 * H; }
inline size_t lstm_backward_scratch_floats(int T, int B, int H) {
  return size_t(T) * B * 4 * H + size_t(H) * 4 * H + 2 * size_t(B) * H + 4 * size_t(H);
}
inline size_t lstm_step_scratch_floats(int B, int H) { return size_t(B) * 8 * H; }

// h, c: (T, B, H) outputs and cell states; gates: (T, B, 4H) activated gates (h, c, gates saved for backward);
// hT, cT: (B, H) final state, or nullptr; x: (T, B, C); h0, c0: (B, H) or nullptr;
// w_ih: (4H, C); w_hh: (4H, H); b_ih, b_hh: (4H); scratch: (lstm_forward_scratch_floats(B, H))
void lstm_forward(const exec_context& ctx, float* h, float* c, float* gates, float* hT, float* cT,
                  const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                  const float* b_ih, const float* b_hh, float* scratch, int T, int B, int C, int H);

// Backward through time. Adds into dx (T, B, C), dh0, dc0 (B, H) (each skipped when nullptr) and
// dw_ih (4H, C), dw_hh (4H, H), db_ih, db_hh (4H). dh: (T, B, H) gradient of the outputs h;
// dhT, dcT: (B, H) gradient of the final state, or nullptr; scratch: (lstm_backward_scratch_floats(T, B, H))
void lstm_backward(const exec_context& ctx, float* dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh,
                   float* db_ih, float* db_hh, const float* dh, const float* dhT, const float* dcT,
                   const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                   const float* h, const float* c, const float* gates, float* scratch, int T, int B, int C,
                   int H);

// One step, for decoding (no saved state). h_out, c_out: (B, H) (may alias h_prev, c_prev); x: (B, C);
// h_prev, c_prev: (B, H) or nullptr; scratch: (lstm_step_scratch_floats(B, H))
void lstm_step(const exec_context& ctx, float* h_out, float* c_out, const float* x, const float* h_prev,
               const float* c_prev, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
               float* scratch, int B, int C, int H);

// The cell pointwise of one step alone, for callers that compute the gate pre-activations themselves (a
// decoder with input feeding projects its inputs in its own blocks). gates: (B, 4H) in: x·W_ihᵀ + b_ih
// (+ h_{t-1}·W_hhᵀ when rec is nullptr), out: the activated gates; rec: (B, 4H) h_{t-1}·W_hhᵀ or nullptr;
// b_hh: (4H); c_prev: (B, H) or nullptr (zeros); c_out, h_out: (B, H) (c_out may alias c_prev)
void lstm_cell_forward(const exec_context& ctx, float* gates, float* c_out, float* h_out, const float* rec,
                       const float* b_hh, const float* c_prev, int B, int H);
// dgates: (B, 4H) written (not added); dc: (B, H) in: the gradient into c_t from step t+1, out: into c_{t-1};
// dh_out, dh_rec: (B, H) the two gradients of h_t (dh_rec may be nullptr); gates, c, c_prev: as in forward
void lstm_cell_backward(const exec_context& ctx, float* dgates, float* dc, const float* dh_out, const float* dh_rec,
                        const float* gates, const float* c, const float* c_prev, int B, int H);

// How a model runs its LSTM layers over whole sequences: the kernels above, or the oneDNN primitive below
// (decoding always steps with lstm_step). Both give the same results to float rounding; the default is the
// faster on our CPUs (tools/bench/bench_lstm).
enum class lstm_impl { kernels, primitive };
constexpr lstm_impl lstm_impl_default = lstm_impl::primitive;

// The same layer run by oneDNN's LSTM primitive (CPU only), at fixed (T, B, C, H): forward and backward over
// a whole sequence. It keeps its own saved state (a workspace) in place of c and gates, and remembers the
// buffers forward() was given, which backward() reads again. Time-major and gate order as above.
class lstm_primitive {
 public:
  lstm_primitive(const exec_context& ctx, int T, int B, int C, int H);
  ~lstm_primitive();
  lstm_primitive(const lstm_primitive&) = delete;
  lstm_primitive& operator=(const lstm_primitive&) = delete;
  bool fits(int T, int B, int C, int H) const;
  // Made while matmul_bf16() is on (--precision bf16), on a CPU where oneDNN has a bf16 LSTM: x, h and the
  // weights in bfloat16 inside the primitive (c, the bias, the gate arithmetic and the gradients stay fp32).
  bool is_bf16() const;

  // h: (T, B, H); hT, cT: (B, H) or nullptr; x: (T, B, C); h0, c0: (B, H) or nullptr (zeros);
  // w_ih: (4H, C); w_hh: (4H, H); b_ih, b_hh: (4H). training: keep the workspace for backward().
  void forward(float* h, float* hT, float* cT, const float* x, const float* h0, const float* c0,
               const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, bool training);
  // After forward(training = true), with every buffer it read or wrote unchanged. Adds into dx (T, B, C),
  // dh0, dc0 (B, H) (each skipped when nullptr), dw_ih, dw_hh, db_ih, db_hh. dh: (T, B, H); dhT, dcT: (B, H)
  // or nullptr.
  void backward(float* dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh, float* db_ih, float* db_hh,
                const float* dh, const float* dhT, const float* dcT);

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace pluma
