// The LSTM layer's cases in the op case registry. Included by tests/op_cases.h inside its detail section
// (it uses op_case and named_case from there); include tests/op_cases.h, not this file.
#pragma once
#include "model/ops/lstm.h"

namespace pluma::op_test::detail {

// One layer over T steps; with_state: a nonzero initial (h0, c0) with gradients, else zeros (nullptr).
// Outputs h (T, B, H) and the final state hT, cT; c, gates and the scratch buffers are saved (a second backend
// compared on saved buffers must lay its scratch out alike, or skip the *_scratch buffers).
inline op_case lstm_case(std::string name, uint64_t seed, int T, int B, int C, int H, bool with_state) {
  op_case c = cpu_case(std::move(name), seed, "lstm");
  const size_t BH = size_t(B) * H, G = 4 * size_t(H);
  c.inputs = {{"x", size_t(T) * B * C, true},  {"w_ih", G * C, true, 0.5f}, {"w_hh", G * H, true, 0.5f},
              {"b_ih", G, true, 0.5f},         {"b_hh", G, true, 0.5f}};
  if (with_state) c.inputs.insert(c.inputs.end(), {{"h0", BH, true, 0.5f}, {"c0", BH, true, 0.5f}});
  c.outputs = {{"h", size_t(T) * BH}, {"hT", BH}, {"cT", BH}};
  c.saved = {{"c", size_t(T) * BH},
             {"gates", size_t(T) * B * G},
             {"forward_scratch", lstm_forward_scratch_floats(B, H)},
             {"backward_scratch", lstm_backward_scratch_floats(T, B, H)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    lstm_forward(ctx, a.out[0], a.saved[0], a.saved[1], a.out[1], a.out[2], a.in[0],
                 with_state ? a.in[5] : nullptr, with_state ? a.in[6] : nullptr, a.in[1], a.in[2], a.in[3],
                 a.in[4], a.saved[2], T, B, C, H);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    lstm_backward(ctx, a.din[0], with_state ? a.din[5] : nullptr, with_state ? a.din[6] : nullptr, a.din[1],
                  a.din[2], a.din[3], a.din[4], a.dout[0], a.dout[1], a.dout[2], a.in[0],
                  with_state ? a.in[5] : nullptr, with_state ? a.in[6] : nullptr, a.in[1], a.in[2], a.out[0],
                  a.saved[0], a.saved[1], a.saved[3], T, B, C, H);
  };
  return c;
}

// One decoding step (forward only: for backend parity). h_prev and c_prev are updated in place.
inline op_case lstm_step_case(std::string name, uint64_t seed, int B, int C, int H) {
  op_case c = cpu_case(std::move(name), seed, "lstm");
  const size_t BH = size_t(B) * H, G = 4 * size_t(H);
  c.inputs = {{"x", size_t(B) * C}, {"w_ih", G * C, false, 0.5f}, {"w_hh", G * H, false, 0.5f},
              {"b_ih", G, false, 0.5f}, {"b_hh", G, false, 0.5f}, {"h", BH, false, 0.5f, false, true},
              {"c", BH, false, 0.5f, false, true}};
  c.saved = {{"scratch", lstm_step_scratch_floats(B, H)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    lstm_step(ctx, a.in[5], a.in[6], a.in[0], a.in[5], a.in[6], a.in[1], a.in[2], a.in[3], a.in[4], a.saved[0], B,
              C, H);
  };
  return c;
}

inline void add_lstm_cases(std::vector<op_case>& cases) {
  cases.push_back(lstm_case("lstm", 201, 5, 3, 4, 6, true));
  cases.push_back(lstm_case("lstm_zero_state", 202, 3, 2, 5, 3, false));
  cases.push_back(lstm_case("lstm_t1", 203, 1, 1, 3, 2, true));
  cases.push_back(lstm_step_case("lstm_step", 204, 3, 5, 4));
  // above the kernels' thresholds for starting threads (cells per step, weights per decoding step)
  cases.push_back(lstm_case("lstm_threads", 205, 3, 32, 16, 256, true));
  cases.back().fd_max = 24;
  cases.push_back(lstm_step_case("lstm_step_threads", 206, 2, 300, 256));
}

}  // namespace pluma::op_test::detail
