// The GPT's helper ops in the op case registry: the KV-cache write and prefill (model/ops/kv_cache.h) and the whole-buffer
// helpers (model/ops/tensor_util.h). Forward only (nothing to differentiate): they exist for backend parity and
// determinism. A helper that returns a number to the host (a sum, a count) writes it into a one-element output
// with tensor_fill, so the comparison sees it. Included by tests/op_cases.h inside its detail section (it uses
// op_case and cpu_cuda_case from there); include tests/op_cases.h, not this file.
#pragma once

namespace pluma::op_test::detail {

// Position `pos` of the (B, NH, maxT, HS) caches (updated in place: every other position keeps its values)
// and q: (B, C) out of qkv: (B, 3*C).
inline op_case kv_cache_case(std::string name, uint64_t seed, int B, int pos, int maxT, int C, int NH) {
  op_case c = cpu_cuda_case(std::move(name), seed, "kv_cache");
  const size_t cache = size_t(B) * maxT * C;
  c.inputs = {{"qkv", size_t(B) * 3 * C},
              {"kcache", cache, false, 1.0f, false, true},
              {"vcache", cache, false, 1.0f, false, true}};
  c.outputs = {{"q", size_t(B) * C}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    kv_cache_write(ctx, a.out[0], a.in[1], a.in[2], a.in[0], B, pos, maxT, C, NH);
  };
  return c;
}

// Positions 0..T-1 of the caches from qkv: (B, T, 3*C) (the caches updated in place: the positions from T on
// keep their values).
inline op_case kv_cache_prefill_case(std::string name, uint64_t seed, int B, int T, int maxT, int C, int NH) {
  op_case c = cpu_cuda_case(std::move(name), seed, "kv_cache");
  const size_t cache = size_t(B) * maxT * C;
  c.inputs = {{"qkv", size_t(B) * T * 3 * C},
              {"kcache", cache, false, 1.0f, false, true},
              {"vcache", cache, false, 1.0f, false, true}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    kv_cache_prefill(ctx, a.in[1], a.in[2], a.in[0], B, T, maxT, C, NH);
  };
  return c;
}

// tensor_fill, then tensor_fill_normal from a fresh generator; out[2] is the generator's next draw after
// the fill, so a backend that leaves it elsewhere than N draws on fails.
inline op_case tensor_fill_case(std::string name, uint64_t seed, long N) {
  op_case c = cpu_cuda_case(std::move(name), seed, "tensor_util");
  c.outputs = {{"filled", size_t(N)}, {"normal", size_t(N)}, {"next_draw", 1}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    tensor_fill(ctx, a.out[0], -0.375f, N);
    rng gen(seed + 3);
    tensor_fill_normal(ctx, a.out[1], 0.5f, 0.02f, N, gen);
    tensor_fill(ctx, a.out[2], gen.normal(), 1);
  };
  return c;
}

// tensor_sum and tensor_sumsq of a positive input (a sum far from zero, so the normalized error means
// something), and targets_count of targets with some ignored (-1).
inline op_case tensor_sums_case(std::string name, uint64_t seed, long N) {
  op_case c = cpu_cuda_case(std::move(name), seed, "tensor_util");
  c.inputs = {{"inp", size_t(N), false, 1.0f, true}};
  std::vector<int> targets = random_ints(seed + 1, size_t(N), -1, 5);   // about one in six ignored
  c.ints = {{"targets", targets}};
  c.outputs = {{"sum", 1}, {"sumsq", 1}, {"count", 1}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    tensor_fill(ctx, a.out[0], float(tensor_sum(ctx, a.in[0], N)), 1);
    tensor_fill(ctx, a.out[1], float(tensor_sumsq(ctx, a.in[0], N)), 1);
    tensor_fill(ctx, a.out[2], float(targets_count(ctx, a.ints[0], N)), 1);
  };
  c.parity_tol = 1e-6;   // sums in double on both sides
  return c;
}

inline void add_gpt_helper_cases(std::vector<op_case>& cases) {
  cases.push_back(kv_cache_case("kv_cache_write", 301, 3, 2, 5, 12, 3));
  cases.push_back(kv_cache_case("kv_cache_write_last", 302, 2, 6, 7, 8, 1));
  cases.push_back(kv_cache_prefill_case("kv_cache_prefill", 305, 3, 4, 6, 12, 3));
  cases.push_back(kv_cache_prefill_case("kv_cache_prefill_full", 306, 2, 5, 5, 8, 2));
  cases.push_back(tensor_fill_case("tensor_fill", 303, 37));
  cases.push_back(tensor_sums_case("tensor_sums", 304, 101));
}

// Above the CPU backend's threshold for starting threads, and several GPU blocks.
inline void add_gpt_helper_thread_cases(std::vector<op_case>& cases) {
  cases.push_back(kv_cache_case("kv_cache_write_threads", 311, 8, 40, 64, 384, 6));
  cases.push_back(kv_cache_prefill_case("kv_cache_prefill_threads", 314, 4, 50, 64, 384, 6));
  cases.push_back(tensor_fill_case("tensor_fill_threads", 312, 100003));
  cases.push_back(tensor_sums_case("tensor_sums_threads", 313, 100003));
}

}  // namespace pluma::op_test::detail
