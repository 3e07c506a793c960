// gemm on oneDNN: one matmul primitive per descriptor, created on first use, with its memory objects; a call
// only swaps data pointers and executes through the C API (no per-call allocation on our side).
#include "model/ops/cpu/gemm.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "model/core/check.h"

namespace pluma::cpu {
namespace {

struct gemm_desc_hash {
  size_t operator()(const gemm_desc& d) const {
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&](int64_t v) { h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL; };
    for (int64_t v : {d.batch0, d.batch1, d.M, d.K, d.N}) mix(v);
    for (int i = 0; i < 4; i++) {
      mix(d.a_strides[i]);
      mix(d.b_strides[i]);
      mix(d.c_strides[i]);
    }
    mix(static_cast<int64_t>(d.alpha * 1e6f));
    mix(d.bias | d.accumulate << 1);
    return h;
  }
};

// A (rows, cols) operand with the desc's batch dimensions in front; batch dimensions of size 1 are dropped,
// so an unbatched product is a plain 2-D matmul.
dnnl::memory::desc operand_desc(const gemm_desc& d, int64_t rows, int64_t cols, const int64_t s[4]) {
  dnnl::memory::dims dims, strides;
  if (d.batch0 > 1) dims.push_back(d.batch0), strides.push_back(s[0]);
  if (d.batch1 > 1) dims.push_back(d.batch1), strides.push_back(s[1]);
  dims.push_back(rows), strides.push_back(s[2]);
  dims.push_back(cols), strides.push_back(s[3]);
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

struct gemm_plan {
  dnnl::matmul prim;
  dnnl::memory a, b, bias, c;
  dnnl_exec_arg_t args[4];
  int nargs = 0;
};

class gemm_cache {
 public:
  void run(const gemm_desc& d, const float* A, const float* B, const float* bias, float* C) {
    std::lock_guard<std::mutex> lock(mu_);
    gemm_plan& p = plan(d);
    p.a.set_data_handle(const_cast<float*>(A));
    p.b.set_data_handle(const_cast<float*>(B));
    if (d.bias) p.bias.set_data_handle(const_cast<float*>(bias));
    p.c.set_data_handle(C);
    const dnnl_status_t st = dnnl_primitive_execute(p.prim.get(), stream_.get(), p.nargs, p.args);
    PLUMA_CHECK(st == dnnl_success, "oneDNN matmul execution failed");
    stream_.wait();
  }

  size_t created() {
    std::lock_guard<std::mutex> lock(mu_);
    return created_;
  }

 private:
  gemm_plan& plan(const gemm_desc& d) {
    auto it = plans_.find(d);
    if (it != plans_.end()) return *it->second;
    if (plans_.size() >= max_plans) plans_.clear();  // many distinct shapes (e.g. prompt lengths): start over
    auto p = std::make_unique<gemm_plan>();
    try {
      const auto a_md = operand_desc(d, d.M, d.K, d.a_strides);
      const auto b_md = operand_desc(d, d.K, d.N, d.b_strides);
      const auto c_md = operand_desc(d, d.M, d.N, d.c_strides);
      const auto bias_md = d.bias ? dnnl::memory::desc({1, d.N}, dnnl::memory::data_type::f32,
                                                       dnnl::memory::dims{d.N, 1})
                                  : dnnl::memory::desc();
      dnnl::primitive_attr attr;
      if (d.alpha != 1.0f) attr.set_output_scales(0, {d.alpha});
      if (d.accumulate) {
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
      }
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), attr, engine_);
      p->prim = dnnl::matmul(pd);
      p->a = dnnl::memory(a_md, engine_, nullptr);
      p->b = dnnl::memory(b_md, engine_, nullptr);
      p->c = dnnl::memory(c_md, engine_, nullptr);
      p->args[p->nargs++] = {DNNL_ARG_SRC, p->a.get()};
      p->args[p->nargs++] = {DNNL_ARG_WEIGHTS, p->b.get()};
      p->args[p->nargs++] = {DNNL_ARG_DST, p->c.get()};
      if (d.bias) {
        p->bias = dnnl::memory(bias_md, engine_, nullptr);
        p->args[p->nargs++] = {DNNL_ARG_BIAS, p->bias.get()};
      }
    } catch (const dnnl::error& e) {
      PLUMA_CHECK(false, e.what());
    }
    created_++;
    return *plans_.emplace(d, std::move(p)).first->second;
  }

  static constexpr size_t max_plans = 512;
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{engine_};
  std::mutex mu_;
  std::unordered_map<gemm_desc, std::unique_ptr<gemm_plan>, gemm_desc_hash> plans_;
  size_t created_ = 0;
};

gemm_cache& cache() {
  static gemm_cache c;
  return c;
}

}  // namespace

void gemm(const gemm_desc& d, const float* A, const float* B, const float* bias, float* C) {
  PLUMA_CHECK(d.M > 0 && d.K > 0 && d.N > 0 && d.batch0 > 0 && d.batch1 > 0, "gemm: empty dimensions");
  PLUMA_CHECK(!(d.bias && (d.alpha != 1.0f || d.batch0 * d.batch1 > 1)), "gemm: bias only unscaled, unbatched");
  cache().run(d, A, B, bias, C);
}

size_t gemm_primitive_count() { return cache().created(); }

}  // namespace pluma::cpu
