// gemm on oneDNN: one matmul primitive per descriptor, created on first use, with its memory objects; a call
// only swaps data pointers and executes through the C API (no per-call allocation on our side).
#include "model/ops/cpu/gemm.h"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "model/core/check.h"
#include "model/ops/cpu/bf16_round.h"
#include "model/ops/cpu/gemm_bf16.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {
namespace {

// A plan's key: the desc, and whether the product is multiplied elementwise by a (M, N) tensor (C's strides)
// before the accumulation.
struct plan_key {
  gemm_desc d;
  bool mul = false;
  bool operator==(const plan_key&) const = default;
};

struct gemm_desc_hash {
  size_t operator()(const plan_key& k) const {
    const gemm_desc& d = k.d;
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&](int64_t v) { h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL; };
    for (int64_t v : {d.batch0, d.batch1, d.M, d.K, d.N}) mix(v);
    for (int i = 0; i < 4; i++) {
      mix(d.a_strides[i]);
      mix(d.b_strides[i]);
      mix(d.c_strides[i]);
    }
    mix(static_cast<int64_t>(d.alpha * 1e6f));
    mix(d.bias | d.accumulate << 1 | d.bf16 << 2);
    mix(d.threads);
    mix(k.mul);
    return h;
  }
};

// A (rows, cols) operand with the desc's batch dimensions in front; batch dimensions of size 1 are dropped,
// so an unbatched product is a plain 2-D matmul.
dnnl::memory::desc operand_desc(const gemm_desc& d, int64_t rows, int64_t cols, const int64_t s[4],
                                dnnl::memory::data_type type = dnnl::memory::data_type::f32) {
  dnnl::memory::dims dims, strides;
  if (d.batch0 > 1) dims.push_back(d.batch0), strides.push_back(s[0]);
  if (d.batch1 > 1) dims.push_back(d.batch1), strides.push_back(s[1]);
  dims.push_back(rows), strides.push_back(s[2]);
  dims.push_back(cols), strides.push_back(s[3]);
  return dnnl::memory::desc(dims, type, strides);
}

// Elements an unbatched strided (rows, cols) view spans, from its first to its last.
size_t view_extent(int64_t rows, int64_t cols, const int64_t s[4]) {
  return static_cast<size_t>((rows - 1) * s[2] + (cols - 1) * s[3] + 1);
}

// The memory objects a call of a plan binds its pointers to, and the arguments that name them.
struct gemm_args {
  std::mutex mu;   // held while a call uses them
  dnnl::memory a, b, bias, c, mul, scratch;
  dnnl_exec_arg_t args[6];
  int nargs = 0;
};

// A primitive and a set of arguments for each product that may run at once: two of gemm_side_by_side, or one
// per lane of run_lanes (everything else one at a time). Products running at once may be of one plan (the two
// halves of gemm_rows_side_by_side, the lanes' same layer), each then binding its own set.
struct gemm_plan {
  dnnl::matmul prim;
  size_t scratch_bytes = 0;
  gemm_args slot[lanes_max];
};

// What each calling thread has of its own: a stream, the primitives' scratchpad (user mode, so that two
// threads can run primitives at once whichever thread made them), and bf16 rounding buffers.
struct thread_state {
  explicit thread_state(const dnnl::engine& e) : stream(e) {}
  dnnl::stream stream;
  std::vector<char> scratch;          // grown, never shrunk; used from a 64-byte boundary
  std::vector<uint16_t> a16, b16;     // bf16 operands (grown, never shrunk)
};

// Set on the two threads of gemm_side_by_side and on the threads of run_lanes: their products run on their own
// thread, without the lock that otherwise keeps one product at a time.
thread_local bool in_pair = false;

class gemm_cache {
 public:
  // d.bf16: A and B are rounded to bf16 here, unless A16 / B16 (their bf16 copies, spanning the same strided
  // views) are given.
  void run(const gemm_desc& d, const float* A, const float* B, const uint16_t* A16, const uint16_t* B16,
           const float* bias, float* C, const float* mul) {
    std::unique_lock<std::mutex> one_at_a_time(run_mu_, std::defer_lock);
    if (!in_pair) one_at_a_time.lock();
    // oneDNN (OpenMP runtime) makes and runs primitives for omp_get_max_threads() threads
    const int outer = omp_get_max_threads();
    if (d.threads != outer) omp_set_num_threads(d.threads);
    struct restore {
      int outer, now;
      ~restore() {
        if (now != outer) omp_set_num_threads(outer);
      }
    } restore_threads{outer, d.threads};
    thread_state* mine = nullptr;
    const std::shared_ptr<gemm_plan> plan_ref = plan({d, mul != nullptr}, &mine);
    gemm_plan& plan = *plan_ref;
    // the first free set of arguments (waiting for the last one when all are taken)
    int free_slot = 0;
    std::unique_lock<std::mutex> running(plan.slot[0].mu, std::try_to_lock);
    while (!running.owns_lock() && ++free_slot < lanes_max - 1)
      running = std::unique_lock<std::mutex>(plan.slot[free_slot].mu, std::try_to_lock);
    if (!running.owns_lock()) running = std::unique_lock<std::mutex>(plan.slot[free_slot].mu);
    gemm_args& p = plan.slot[free_slot];
    if (d.bf16) {
      if (!A16) {
        const size_t na = view_extent(d.M, d.K, d.a_strides);
        if (mine->a16.size() < na) mine->a16.resize(na);
        to_bf16(mine->a16.data(), A, na);
        A16 = mine->a16.data();
      }
      if (!B16) {
        const size_t nb = view_extent(d.K, d.N, d.b_strides);
        if (mine->b16.size() < nb) mine->b16.resize(nb);
        to_bf16(mine->b16.data(), B, nb);
        B16 = mine->b16.data();
      }
      p.a.set_data_handle(const_cast<uint16_t*>(A16));
      p.b.set_data_handle(const_cast<uint16_t*>(B16));
    } else {
      p.a.set_data_handle(const_cast<float*>(A));
      p.b.set_data_handle(const_cast<float*>(B));
    }
    if (d.bias) p.bias.set_data_handle(const_cast<float*>(bias));
    if (mul) p.mul.set_data_handle(const_cast<float*>(mul));
    p.c.set_data_handle(C);
    if (plan.scratch_bytes) {
      if (mine->scratch.size() < plan.scratch_bytes + 64) mine->scratch.resize(plan.scratch_bytes + 64);
      const auto at = reinterpret_cast<uintptr_t>(mine->scratch.data());
      p.scratch.set_data_handle(reinterpret_cast<void*>((at + 63) / 64 * 64));
    }
    const dnnl_status_t st = dnnl_primitive_execute(plan.prim.get(), mine->stream.get(), p.nargs, p.args);
    PLUMA_CHECK(st == dnnl_success, "oneDNN matmul execution failed");
    mine->stream.wait();
  }

  // Runs f (the two products of a pair, on their threads) with the one-at-a-time lock held.
  template <class F>
  void run_pair(F&& f) {
    std::lock_guard<std::mutex> one_at_a_time(run_mu_);
    f();
  }

  size_t created() {
    std::lock_guard<std::mutex> lock(mu_);
    return created_;
  }

 private:
  // The plan of key, made on first use, and the calling thread's state.
  std::shared_ptr<gemm_plan> plan(const plan_key& key, thread_state** mine) {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<thread_state>& t = threads_[std::this_thread::get_id()];
    if (!t) t = std::make_unique<thread_state>(engine_);
    *mine = t.get();
    const gemm_desc& d = key.d;
    auto it = plans_.find(key);
    if (it != plans_.end()) return it->second;
    // many distinct shapes (e.g. prompt lengths): start over (a plan running elsewhere lives on until it ends)
    if (plans_.size() >= max_plans) plans_.clear();
    auto p = std::make_shared<gemm_plan>();
    try {
      const auto in_type = d.bf16 ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
      const auto a_md = operand_desc(d, d.M, d.K, d.a_strides, in_type);
      const auto b_md = operand_desc(d, d.K, d.N, d.b_strides, in_type);
      const auto c_md = operand_desc(d, d.M, d.N, d.c_strides);
      const auto bias_md = d.bias ? dnnl::memory::desc({1, d.N}, dnnl::memory::data_type::f32,
                                                       dnnl::memory::dims{d.N, 1})
                                  : dnnl::memory::desc();
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      if (d.alpha != 1.0f) attr.set_output_scales(0, {d.alpha});
      dnnl::post_ops ops;
      if (key.mul) ops.append_binary(dnnl::algorithm::binary_mul, c_md);
      if (d.accumulate) ops.append_sum(1.0f);
      if (key.mul || d.accumulate) attr.set_post_ops(ops);
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), attr, engine_);
      p->prim = dnnl::matmul(pd);
      p->scratch_bytes = pd.scratchpad_desc().get_size();
      for (gemm_args& s : p->slot) {
        s.a = dnnl::memory(a_md, engine_, nullptr);
        s.b = dnnl::memory(b_md, engine_, nullptr);
        s.c = dnnl::memory(c_md, engine_, nullptr);
        s.args[s.nargs++] = {DNNL_ARG_SRC, s.a.get()};
        s.args[s.nargs++] = {DNNL_ARG_WEIGHTS, s.b.get()};
        s.args[s.nargs++] = {DNNL_ARG_DST, s.c.get()};
        if (d.bias) {
          s.bias = dnnl::memory(bias_md, engine_, nullptr);
          s.args[s.nargs++] = {DNNL_ARG_BIAS, s.bias.get()};
        }
        if (key.mul) {
          s.mul = dnnl::memory(c_md, engine_, nullptr);
          s.args[s.nargs++] = {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, s.mul.get()};
        }
        if (p->scratch_bytes) {
          s.scratch = dnnl::memory(pd.scratchpad_desc(), engine_, nullptr);
          s.args[s.nargs++] = {DNNL_ARG_SCRATCHPAD, s.scratch.get()};
        }
      }
    } catch (const dnnl::error& e) {
      PLUMA_CHECK(false, e.what());
    }
    created_++;
    return plans_.emplace(key, std::move(p)).first->second;
  }

  static constexpr size_t max_plans = 512;
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  std::mutex run_mu_;   // one product at a time, but for the two of a pair
  std::mutex mu_;       // the maps and the count
  std::unordered_map<plan_key, std::shared_ptr<gemm_plan>, gemm_desc_hash> plans_;
  // Kept while the process lives: the threads that compute are few and long-lived (the main thread, OpenMP's
  // workers, pluma serve's request workers), and a reused id only takes over an idle state.
  std::unordered_map<std::thread::id, std::unique_ptr<thread_state>> threads_;
  size_t created_ = 0;
};

gemm_cache& cache() {
  static gemm_cache c;
  return c;
}

gemm_desc checked(const gemm_desc& desc) {
  PLUMA_CHECK(desc.M > 0 && desc.K > 0 && desc.N > 0 && desc.batch0 > 0 && desc.batch1 > 0, "gemm: empty dimensions");
  PLUMA_CHECK(!(desc.bias && (desc.alpha != 1.0f || desc.batch0 * desc.batch1 > 1)), "gemm: bias only unscaled, unbatched");
  PLUMA_CHECK(!(desc.bf16 && desc.batch0 * desc.batch1 > 1), "gemm: bf16 only unbatched");
  gemm_desc d = desc;
  const int64_t macs = d.batch0 * d.batch1 * d.M * d.K * d.N;
  d.threads = macs >= gemm_parallel_min_macs && !in_pair ? omp_get_max_threads() : 1;
  return d;
}

}  // namespace

void gemm(const gemm_desc& desc, const float* A, const float* B, const float* bias, float* C) {
  cache().run(checked(desc), A, B, nullptr, nullptr, bias, C, nullptr);
}

void gemm(const gemm_desc& desc, const float* A, const uint16_t* A16, const float* B, const uint16_t* B16,
          const float* bias, float* C) {
  cache().run(checked(desc), A, B, A16, B16, bias, C, nullptr);
}

void gemm_mul(const gemm_desc& desc, const float* A, const uint16_t* A16, const float* B, const uint16_t* B16,
              const float* mul, float* C) {
  PLUMA_CHECK(!desc.bias && desc.alpha == 1.0f, "gemm_mul: no bias, no scale");
  cache().run(checked(desc), A, B, A16, B16, nullptr, C, mul);
}

// Split over the threads for large inputs.
void to_bf16(uint16_t* out, const float* in, size_t n) {
  // parallel_for_range stays off OpenMP for small arrays (a decoding step's 128 values): a region, even one
  // an if-clause makes serial, costs about as much as the conversion.
  parallel_for_range(static_cast<long>(n), static_cast<long>(n) * 2,
                     [&](long i0, long i1) { round_bf16(out + i0, in + i0, i1 - i0); });
}

void from_bf16(float* out, const uint16_t* in, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const uint32_t x = uint32_t(in[i]) << 16;
    std::memcpy(out + i, &x, sizeof x);
  }
}

size_t gemm_primitive_count() { return cache().created(); }

bool gemm_side_by_side_runs(int64_t macs) {
  return omp_get_max_threads() == 2 && macs >= gemm_parallel_min_macs && !omp_in_parallel() && !in_pair;
}

bool gemm_rows_side_by_side(int64_t M, int64_t K, int64_t N, const std::function<void(int64_t, int64_t)>& rows) {
  const int64_t half = (M / 2 + 15) / 16 * 16, smaller = std::min(half, M - half);
  if (smaller < gemm_rows_half_min || !gemm_side_by_side_runs(smaller * K * N)) return false;
  // decided: both halves run here (one after the other only if the region got a single thread)
  gemm_side_by_side(smaller * K * N, [&] { rows(0, half); }, [&] { rows(half, M); });
  return true;
}

bool gemm_side_by_side(int64_t macs, const std::function<void()>& first, const std::function<void()>& second) {
  if (!gemm_side_by_side_runs(macs)) {
    first();
    second();
    return false;
  }
  int threads = 0;
  std::exception_ptr failed[2];   // an exception may not leave the region: caught there, thrown after
  cache().run_pair([&] {
#pragma omp parallel num_threads(2)
    {
      in_pair = true;
      const int t = omp_get_thread_num(), n = omp_get_num_threads();
      if (t == 0) threads = n;
      try {
        if (t == 0) first();
        if (t == 1 || n == 1) second();
      } catch (...) {
        failed[t] = std::current_exception();
      }
      in_pair = false;
    }
  });
  for (const std::exception_ptr& e : failed)
    if (e) std::rethrow_exception(e);
  return threads == 2;
}

int run_lanes(int n, const std::function<void(int)>& lane) {
  PLUMA_CHECK(n >= 1 && n <= lanes_max, "run_lanes: 1 to lanes_max lanes");
  const int threads = omp_in_parallel() || in_pair ? 1 : std::min(n, omp_get_max_threads());
  std::vector<std::exception_ptr> failed(n);   // an exception may not leave the region: caught there, thrown after
  int got = 1;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    if (t == 0) got = nt;
    const bool was_alone = in_pair;
    const int outer = omp_get_max_threads();
    in_pair = true;
    omp_set_num_threads(1);   // every op of a lane runs on its thread alone
    for (int k = t; k < n; k += nt) {
      try {
        lane(k);
      } catch (...) {
        failed[k] = std::current_exception();
      }
    }
    omp_set_num_threads(outer);
    in_pair = was_alone;
  }
  for (const std::exception_ptr& e : failed)
    if (e) std::rethrow_exception(e);
  return got;
}

}  // namespace pluma::cpu
