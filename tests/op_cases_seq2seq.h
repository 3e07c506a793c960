// The sequence-to-sequence ops' cases in the op case registry (Luong attention, tanh, concat, per-row
// reversal, bidirectional merge, last position). Included by tests/op_cases.h inside its detail section;
// include tests/op_cases.h, not this file.
#pragma once
#include "model/ops/luong_attention.h"
#include "model/ops/seq_ops.h"

namespace pluma::op_test::detail {

// Row lengths in [1, T], the first row full length (so T is the batch's longest).
inline std::vector<int> row_lengths(uint64_t seed, int B, int T) {
  std::vector<int> len = random_ints(seed, size_t(B), 1, T + 1);
  len[0] = T;
  return len;
}

inline op_case luong_attention_case(std::string name, uint64_t seed, int S, int B, int H, int D) {
  op_case c = cpu_case(std::move(name), seed, "luong_attention");
  c.inputs = {{"query", size_t(B) * H, true}, {"keys", size_t(B) * S * H, true, 0.5f}, {"values", size_t(B) * S * D, true}};
  c.ints = {{"src_len", row_lengths(seed + 1, B, S)}};
  c.outputs = {{"context", size_t(B) * D}};
  c.saved = {{"probs", size_t(B) * S}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    luong_attention_forward(ctx, a.out[0], a.saved[0], a.in[0], a.in[1], a.in[2], a.ints[0], S, B, H, D);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    luong_attention_backward(ctx, a.din[0], a.din[1], a.din[2], a.dout[0], a.saved[0], a.in[0], a.in[1], a.in[2],
                             a.ints[0], S, B, H, D);
  };
  return c;
}

inline op_case tanh_case(std::string name, uint64_t seed, long N) {
  op_case c = cpu_case(std::move(name), seed, "seq_ops");
  c.inputs = {{"inp", size_t(N), true}};
  c.outputs = {{"out", size_t(N)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) { tanh_forward(ctx, a.out[0], a.in[0], N); };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    tanh_backward(ctx, a.din[0], a.out[0], a.dout[0], N);
  };
  return c;
}

inline op_case concat_case(std::string name, uint64_t seed, long N, int C1, int C2) {
  op_case c = cpu_case(std::move(name), seed, "seq_ops");
  c.inputs = {{"a", size_t(N) * C1, true}, {"b", size_t(N) * C2, true}};
  c.outputs = {{"out", size_t(N) * (C1 + C2)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) { concat_forward(ctx, a.out[0], a.in[0], a.in[1], N, C1, C2); };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    concat_backward(ctx, a.din[0], a.din[1], a.dout[0], N, C1, C2);
  };
  return c;
}

inline op_case seq_reverse_case(std::string name, uint64_t seed, int T, int B, int C) {
  op_case c = cpu_case(std::move(name), seed, "seq_ops");
  c.inputs = {{"inp", size_t(T) * B * C, true}};
  c.ints = {{"len", row_lengths(seed + 1, B, T)}};
  c.outputs = {{"out", size_t(T) * B * C}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    seq_reverse_forward(ctx, a.out[0], a.in[0], a.ints[0], T, B, C);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    seq_reverse_backward(ctx, a.din[0], a.dout[0], a.ints[0], T, B, C);
  };
  return c;
}

inline op_case bidir_merge_case(std::string name, uint64_t seed, int T, int B, int C1, int C2) {
  op_case c = cpu_case(std::move(name), seed, "seq_ops");
  c.inputs = {{"fw", size_t(T) * B * C1, true}, {"bw", size_t(T) * B * C2, true}};
  c.ints = {{"len", row_lengths(seed + 1, B, T)}};
  c.outputs = {{"out", size_t(T) * B * (C1 + C2)}, {"last", size_t(B) * C1}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    bidir_merge_forward(ctx, a.out[0], a.in[0], a.in[1], a.ints[0], T, B, C1, C2);
    seq_last_forward(ctx, a.out[1], a.in[0], a.ints[0], T, B, C1);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    bidir_merge_backward(ctx, a.din[0], a.din[1], a.dout[0], a.ints[0], T, B, C1, C2);
    seq_last_backward(ctx, a.din[0], a.dout[1], a.ints[0], T, B, C1);
  };
  return c;
}

inline void add_seq2seq_cases(std::vector<op_case>& cases) {
  cases.push_back(luong_attention_case("luong_attention", 201, 5, 3, 7, 6));
  cases.push_back(luong_attention_case("luong_attention_s2", 202, 2, 3, 3, 4));
  cases.push_back(tanh_case("tanh", 203, 101));
  cases.push_back(concat_case("concat", 204, 7, 3, 5));
  cases.push_back(seq_reverse_case("seq_reverse", 205, 4, 3, 5));
  cases.push_back(bidir_merge_case("bidir_merge_last", 206, 5, 4, 3, 2));
}

// Sizes above the CPU backend's thresholds for starting threads.
inline void add_seq2seq_thread_cases(std::vector<op_case>& cases) {
  cases.push_back(luong_attention_case("luong_attention_threads", 211, 20, 16, 64, 48));
  cases.push_back(tanh_case("tanh_threads", 212, 40009));
  cases.push_back(seq_reverse_case("seq_reverse_threads", 213, 19, 33, 64));
}

}  // namespace pluma::op_test::detail
