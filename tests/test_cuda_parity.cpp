// CPU <-> CUDA parity over the op case registry (tests/op_cases.h), plus larger shapes that reach the GPU
// kernels' multi-tile paths: the same inputs on both backends; forward outputs, saved buffers, inputs updated
// in place and every gradient compared by normalized error. Device outputs start as NaN (a poison), so an
// element a kernel never writes fails the comparison.
// Without a usable GPU every parity test is skipped (doctest's skip decorator, so no assertion passes) and
// the program prints "skipped: no CUDA device (<reason>)", which ctest reports as a skip.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "model/core/device_arena.h"
#include "model/core/exec.h"
#include "tests/op_cases.h"

#ifdef PLUMA_HAVE_CUDA
#include "model/ops/cuda/backend.h"
#endif

using namespace pluma;
using namespace pluma::op_test;

namespace {

struct gpu_probe {
  bool ok = false;
  std::string why;
};

const gpu_probe& gpu() {
  static const gpu_probe probe = [] {
    gpu_probe p;
    p.ok = cuda_available(p.why);
    return p;
  }();
  return probe;
}

bool no_gpu() { return !gpu().ok; }

// ||a - b|| / max(||a||, ||b||) in double; +inf when either holds a NaN or an infinity (unwritten poison)
double parity_error(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double diff = 0.0, na = 0.0, nb = 0.0;
  for (size_t i = 0; i < a.size(); i++) {
    const double x = a[i], y = b[i];
    if (!std::isfinite(x) || !std::isfinite(y)) return std::numeric_limits<double>::infinity();
    diff += (x - y) * (x - y);
    na += x * x;
    nb += y * y;
  }
  const double denom = std::sqrt(std::max(na, nb));
  return denom == 0.0 ? 0.0 : std::sqrt(diff) / denom;
}

// A case's buffers on the device, mirroring op_host_data.
struct device_case_data {
  std::vector<device_buffer> in, din, out, dout, saved, ints;

  op_args args() const {
    op_args a;
    for (size_t i = 0; i < in.size(); i++) {
      a.in.push_back(in[i].as<float>());
      a.din.push_back(din[i].as<float>());   // nullptr where the input has no gradient
    }
    for (const auto& b : ints) a.ints.push_back(b.as<const int>());
    for (const auto& b : out) a.out.push_back(b.as<float>());
    for (const auto& b : dout) a.dout.push_back(b.as<float>());
    for (const auto& b : saved) a.saved.push_back(b.as<float>());
    return a;
  }
};

template <class T>
device_buffer to_device(const exec_context& ctx, const std::vector<T>& v) {
  device_buffer b;
  const status st = b.allocate(v.size() * sizeof(T));
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  device_copy_to(ctx, b.data(), v.data(), v.size() * sizeof(T));
  return b;
}

device_buffer poisoned(const exec_context& ctx, size_t n) {
  device_buffer b;
  const status st = b.allocate(n * sizeof(float));
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  device_memset(ctx, b.data(), 0xFF, n * sizeof(float));   // every float a NaN
  return b;
}

device_case_data upload(const exec_context& ctx, const op_host_data& h) {
  device_case_data d;
  for (const auto& v : h.in) d.in.push_back(to_device(ctx, v));
  for (const auto& v : h.din) d.din.push_back(to_device(ctx, v));   // empty -> no buffer (nullptr)
  for (const auto& v : h.ints) d.ints.push_back(to_device(ctx, v));
  for (const auto& v : h.out) d.out.push_back(poisoned(ctx, v.size()));
  for (const auto& v : h.dout) d.dout.push_back(to_device(ctx, v));
  for (const auto& v : h.saved) d.saved.push_back(poisoned(ctx, v.size()));
  return d;
}

void download(const exec_context& ctx, const std::vector<device_buffer>& from, std::vector<std::vector<float>>& to) {
  for (size_t i = 0; i < to.size(); i++) device_copy_from(ctx, to[i].data(), from[i].data(), to[i].size() * sizeof(float));
}

// The case's host data with the gradients starting as noise, so a backward that overwrites instead of
// adding fails the comparison.
op_host_data start_data(const op_case& c) {
  op_host_data d = make_host_data(c);
  for (size_t i = 0; i < d.din.size(); i++)
    for (size_t j = 0; j < d.din[i].size(); j++) d.din[i][j] = 0.5f * std::sin(3.0f * j + i);
  return d;
}

// Runs the case's forward (and backward) on `ctx` over device copies of `start`; returns the results.
op_host_data run_on_gpu(const op_case& c, const exec_context& ctx, const op_host_data& start) {
  device_case_data dev = upload(ctx, start);
  const op_args a = dev.args();
  c.forward(ctx, a);
  if (c.backward) c.backward(ctx, a);
  op_host_data r = start;
  download(ctx, dev.in, r.in);
  download(ctx, dev.din, r.din);
  download(ctx, dev.out, r.out);
  download(ctx, dev.saved, r.saved);
  return r;
}

op_host_data run_on_cpu(const op_case& c, const op_host_data& start) {
  op_host_data r = start;
  const op_args a = r.args();
  c.forward(cpu_context(), a);
  if (c.backward) c.backward(cpu_context(), a);
  return r;
}

// Every output, saved buffer, updated input and gradient of `gpu_r` within tol of `cpu_r`.
void check_parity(const op_case& c, const op_host_data& cpu_r, const op_host_data& gpu_r, double tol) {
  for (size_t i = 0; i < c.outputs.size(); i++) {
    INFO("output ", c.outputs[i].name);
    CHECK(parity_error(cpu_r.out[i], gpu_r.out[i]) < tol);
  }
  for (size_t i = 0; i < c.saved.size(); i++) {
    INFO("saved ", c.saved[i].name);
    CHECK(parity_error(cpu_r.saved[i], gpu_r.saved[i]) < tol);
  }
  for (size_t i = 0; i < c.inputs.size(); i++) {
    INFO("input ", c.inputs[i].name);
    if (c.inputs[i].updated) CHECK(parity_error(cpu_r.in[i], gpu_r.in[i]) < tol);
    if (c.inputs[i].grad && c.backward) CHECK(parity_error(cpu_r.din[i], gpu_r.din[i]) < tol);
  }
}

// Shapes beyond the registry's small ones: several tiles, blocks and chunks in every GPU kernel, every
// attention head width (16, 32, 64, 128, and a padded one), GPT-sized rows.
std::vector<op_case> large_cases() {
  using namespace op_test::detail;
  std::vector<op_case> cases;
  cases.push_back(matmul_case("matmul_gpt_qkv", 101, 256, 768, 2304, true));
  cases.push_back(matmul_case("matmul_lm_head", 102, 64, 384, 8191, false));
  cases.push_back(matmul_case("matmul_unaligned", 103, 33, 17, 29, true));
  cases.push_back(embedding_case("embedding_repeats", 104, 4, 64, 96, 7, 64, true));   // long runs of one id
  cases.push_back(embedding_case("embedding_wide_vocab", 105, 2, 256, 768, 5003, 256, true));
  cases.push_back(layernorm_case("layernorm_many_rows", 106, 4099, 768, true));
  cases.push_back(attention_case("attention_hs64_tiles", 107, 2, 130, 128, 2));
  cases.push_back(attention_case("attention_hs128", 108, 1, 70, 256, 2));
  cases.push_back(attention_case("attention_hs40", 109, 2, 97, 120, 3));
  cases.push_back(attention_case("attention_hs16", 110, 1, 65, 64, 4));
  cases.push_back(attention_case("attention_hs32", 111, 3, 33, 96, 3));
  cases.push_back(attention_decode_case("attention_decode_long", 112, 2, 77, 100, 128, 2));
  cases.push_back(attention_decode_case("attention_decode_hs128", 113, 2, 33, 40, 256, 2));
  cases.push_back(unary_case("gelu_large", 114, (1L << 20) + 3, 3.0f, gelu_forward, gelu_backward));
  cases.push_back(residual_case("residual_large", 115, (1L << 20) + 7));
  cases.push_back(dropout_case("dropout_large", 116, (1L << 20) + 1, 0.1f));
  cases.push_back(softmax_xent_case("softmax_xent_gpt_vocab", 117, 9, 50304, 0.0f));
  cases.push_back(softmax_xent_case("softmax_xent_smoothing_wide", 118, 5, 4099, 0.1f));
  adamw_params hp{.lr = 3e-4f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f, .step = 7};
  cases.push_back(adamw_case("adamw_large", 119, (size_t(1) << 20) + 5, hp, 0.7f));
  return cases;
}

struct gpu_stream {
  exec_context ctx;
  gpu_stream() { ctx = exec_context{device::cuda, cuda_stream_create()}; }
  ~gpu_stream() { cuda_stream_destroy(ctx.stream); }
};

void check_cases(const std::vector<op_case>& cases) {
  gpu_stream s;
  for (const op_case& c : cases) {
    INFO("case ", c.name);
    const op_host_data start = start_data(c);
    check_parity(c, run_on_cpu(c, start), run_on_gpu(c, s.ctx, start), c.parity_tol);
  }
}

}  // namespace

TEST_CASE("CUDA device") {
  if (no_gpu()) {
    MESSAGE("skipped: no CUDA device (" << gpu().why << ")");
    return;
  }
  MESSAGE("device: " << cuda_device_description());
}

TEST_CASE("CPU and CUDA agree on every op case of the registry" * doctest::skip(no_gpu())) {
  check_cases(op_cases());
}

TEST_CASE("CPU and CUDA agree on large and multi-tile shapes" * doctest::skip(no_gpu())) {
  check_cases(large_cases());
}

TEST_CASE("CUDA ops are deterministic run to run" * doctest::skip(no_gpu())) {
  gpu_stream s;
  std::vector<op_case> cases = op_cases();
  for (auto& c : large_cases()) cases.push_back(std::move(c));
  for (const op_case& c : cases) {
    INFO("case ", c.name);
    const op_host_data start = start_data(c);
    const op_host_data r1 = run_on_gpu(c, s.ctx, start), r2 = run_on_gpu(c, s.ctx, start);
    CHECK(r1.out == r2.out);
    CHECK(r1.saved == r2.saved);
    CHECK(r1.din == r2.din);
    CHECK(r1.in == r2.in);
  }
}

#ifdef PLUMA_HAVE_CUDA
TEST_CASE("CUDA matmul: tensor-core precisions within their tolerances, and the cublasGemmEx fallback" *
          doctest::skip(no_gpu())) {
  gpu_stream s;
  std::vector<op_case> matmuls;
  for (auto& c : op_cases())
    if (c.name.rfind("matmul", 0) == 0) matmuls.push_back(std::move(c));
  for (auto& c : large_cases())
    if (c.name.rfind("matmul", 0) == 0) matmuls.push_back(std::move(c));
  REQUIRE(matmuls.size() >= 5);
  struct mode {
    cuda::matmul_precision precision;
    bool fallback;
    double tol;   // tf32 keeps 10 mantissa bits, bf16 7: errors near 3e-4 and 3e-3
  };
  for (const mode m : {mode{cuda::matmul_precision::tf32, false, 2e-3}, mode{cuda::matmul_precision::bf16, false, 1.5e-2},
                       mode{cuda::matmul_precision::fp32, true, 1e-5}, mode{cuda::matmul_precision::bf16, true, 1.5e-2}}) {
    INFO("precision ", cuda::matmul_precision_name(m.precision), m.fallback ? " (cublasGemmEx)" : " (cuBLASLt)");
    cuda::set_matmul_precision(m.precision);
    cuda::set_matmul_fallback(m.fallback);
    for (const op_case& c : matmuls) {
      INFO("case ", c.name);
      const op_host_data start = start_data(c);
      check_parity(c, run_on_cpu(c, start), run_on_gpu(c, s.ctx, start), std::max(m.tol, c.parity_tol));
    }
  }
  cuda::set_matmul_precision(cuda::matmul_precision::fp32);
  cuda::set_matmul_fallback(false);
}
#endif
