// CPU <-> CUDA parity over the op case registry (tests/op_cases.h), plus larger shapes that reach the GPU
// kernels' multi-tile paths: the same inputs on both backends; forward outputs, saved buffers, inputs updated
// in place and every gradient compared by normalized error. Device outputs start as NaN (a poison), so an
// element a kernel never writes fails the comparison. Then the whole GPT: loss, every gradient, logits, an
// AdamW step and KV-cache decoding, CPU against GPU from the same weights.
// Without a usable GPU every parity test is skipped (doctest's skip decorator, so no assertion passes) and
// the program prints "skipped: no CUDA device (<reason>)", which ctest reports as a skip.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "model/core/device_arena.h"
#include "model/core/exec.h"
#include "model/gpt/gpt.h"
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

#ifdef PLUMA_HAVE_CUDA
// The GPT's helpers have no entry in the op registry: checked here against host computations.
TEST_CASE("CUDA tensor helpers and the KV-cache write match host computations" * doctest::skip(no_gpu())) {
  gpu_stream s;
  const exec_context& ctx = s.ctx;
  const long N = 100003;
  rng init(5);
  std::vector<float> x(N);
  for (auto& v : x) v = init.normal();
  std::vector<int> targets(N);
  long expect_count = 0;
  for (long i = 0; i < N; i++) expect_count += (targets[i] = (i % 7 == 3) ? -1 : int(i % 11)) >= 0;
  device_buffer dx = to_device(ctx, x), dt = to_device(ctx, targets);

  double expect_sum = 0.0;
  for (float v : x) expect_sum += v;
  CHECK(cuda::tensor_sum(ctx, dx.as<float>(), N) == doctest::Approx(expect_sum).epsilon(1e-9));
  double expect_sumsq = 0.0;
  for (float v : x) expect_sumsq += double(v) * v;
  CHECK(cuda::tensor_sumsq(ctx, dx.as<float>(), N) == doctest::Approx(expect_sumsq).epsilon(1e-9));
  CHECK(cuda::tensor_sumsq(ctx, dx.as<float>(), N) == cuda::tensor_sumsq(ctx, dx.as<float>(), N));   // deterministic
  CHECK(cuda::targets_count(ctx, dt.as<int>(), N) == expect_count);

  std::vector<float> back(N);
  cuda::tensor_fill(ctx, dx.as<float>(), 0.25f, N);
  device_copy_from(ctx, back.data(), dx.data(), N * sizeof(float));
  CHECK(std::all_of(back.begin(), back.end(), [](float v) { return v == 0.25f; }));

  // the same normals as rng::normal() drawn one by one, and the generator left where it would be
  rng g_dev(9), g_host(9);
  cuda::tensor_fill_normal(ctx, dx.as<float>(), 0.5f, 0.02f, N, g_dev);
  device_copy_from(ctx, back.data(), dx.data(), N * sizeof(float));
  std::vector<float> expect(N);
  for (auto& v : expect) v = 0.5f + 0.02f * g_host.normal();
  CHECK(g_dev.state == g_host.state);
  CHECK(parity_error(expect, back) < 1e-6);

  // kv_cache_write: q and the position `pos` of every head's cache
  const int B = 3, C = 12, NH = 3, HS = C / NH, maxT = 5, pos = 3;
  std::vector<float> qkv(size_t(B) * 3 * C), q(size_t(B) * C), kc(size_t(B) * NH * maxT * HS, 7.0f), vc = kc;
  for (size_t i = 0; i < qkv.size(); i++) qkv[i] = float(i) + 0.5f;
  device_buffer dqkv = to_device(ctx, qkv), dq = to_device(ctx, q), dk = to_device(ctx, kc), dv = to_device(ctx, vc);
  cuda::kv_cache_write(ctx, dq.as<float>(), dk.as<float>(), dv.as<float>(), dqkv.as<float>(), B, pos, maxT, C, NH);
  std::vector<float> gq(q.size()), gk(kc.size()), gv(vc.size());
  device_copy_from(ctx, gq.data(), dq.data(), gq.size() * sizeof(float));
  device_copy_from(ctx, gk.data(), dk.data(), gk.size() * sizeof(float));
  device_copy_from(ctx, gv.data(), dv.data(), gv.size() * sizeof(float));
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++) {
      const int h = c / HS, d = c % HS;
      const size_t at = ((size_t(b) * NH + h) * maxT + pos) * HS + d;
      CHECK(gq[size_t(b) * C + c] == qkv[size_t(b) * 3 * C + c]);
      CHECK(gk[at] == qkv[size_t(b) * 3 * C + C + c]);
      CHECK(gv[at] == qkv[size_t(b) * 3 * C + 2 * C + c]);
    }
  CHECK(gk[0] == 7.0f);   // other positions untouched
  CHECK(gv[gv.size() - 1] == 7.0f);
}
#endif

// ---- the whole GPT: the same weights and batch on both backends -------------------------------------------

namespace {

gpt_config parity_gpt_config(float dropout, bool bias) {
  gpt_config c;
  c.vocab_size = 67;
  c.context = 80;
  c.layers = 2;
  c.heads = 4;
  c.embd = 64;   // head size 16; T up to 80 spans two query blocks and three key tiles
  c.dropout = dropout;
  c.bias = bias;
  return c;
}

struct gpt_batch {
  int B = 3, T = 70;
  std::vector<int> inputs, targets;
  explicit gpt_batch(int V) {
    rng gen(17);
    inputs.resize(size_t(B) * T);
    targets.resize(inputs.size());
    for (auto& x : inputs) x = int(gen.below(V));
    for (size_t i = 0; i < targets.size(); i++) targets[i] = i % 9 == 4 ? -1 : int(gen.below(V));
  }
};

// parity_error over one tensor of two arenas laid out by the same size table
double tensor_error(const arena& a, const arena& b, const tensor_spec& s) {
  const std::vector<float> x(a.at(s), a.at(s) + s.numel()), y(b.at(s), b.at(s) + s.numel());
  return parity_error(x, y);
}

}  // namespace

TEST_CASE("GPT on CUDA matches the CPU: loss, every gradient, logits, an AdamW step" * doctest::skip(no_gpu())) {
  gpu_stream s;
  for (const bool bias : {true, false}) {
    for (const float dropout : {0.0f, 0.1f}) {
      INFO("bias ", bias, ", dropout ", dropout);
      const gpt_config cfg = parity_gpt_config(dropout, bias);
      gpt_model cpu_m(cfg), gpu_m(cfg);
      cpu_m.init_params(7);
      const status st = gpu_m.set_device(s.ctx);
      REQUIRE_MESSAGE(st.is_ok(), st.message());
      gpu_m.init_params(7);
      const gpt_batch batch(cfg.vocab_size);
      const int B = batch.B, T = batch.T;

      cpu_m.zero_grads();
      gpu_m.zero_grads();
      rng r_cpu(3), r_gpu(3);   // dropout masks: the same draws on both
      const float l_cpu = cpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), B, T, 0.5f, r_cpu);
      const float l_gpu = gpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), B, T, 0.5f, r_gpu);
      CHECK(std::isfinite(l_gpu));
      CHECK(std::abs(l_gpu - l_cpu) <= 1e-5 * std::abs(l_cpu));
      CHECK(r_cpu.state == r_gpu.state);
      gpu_m.grads_to_host();
      for (const tensor_spec& spec : cpu_m.param_specs()) {
        INFO("gradient of ", spec.name);
        CHECK(tensor_error(cpu_m.grads(), gpu_m.grads(), spec) < 1e-4);
      }

      std::vector<float> logits_cpu(size_t(B) * T * cfg.vocab_size), logits_gpu(logits_cpu.size(), NAN);
      cpu_m.forward_logits(batch.inputs.data(), B, T, logits_cpu.data());
      gpu_m.forward_logits(batch.inputs.data(), B, T, logits_gpu.data());
      CHECK(parity_error(logits_cpu, logits_gpu) < 1e-5);
      const float e_cpu = cpu_m.forward_loss(batch.inputs.data(), batch.targets.data(), B, T);
      const float e_gpu = gpu_m.forward_loss(batch.inputs.data(), batch.targets.data(), B, T);
      CHECK(std::abs(e_gpu - e_cpu) <= 1e-5 * std::abs(e_cpu));

      // one AdamW step over the whole parameter block on each side, then the loss again
      const size_t n = cpu_m.params().size();
      adamw_params hp;
      hp.lr = 1e-2f;
      hp.weight_decay = 0.1f;
      arena m(n), v(n);
      adamw_update(cpu_context(), cpu_m.param_block(), cpu_m.grad_block(), m.data(), v.data(), n, hp, 1.0f);
      device_arena dm, dv;
      REQUIRE(dm.resize(n).is_ok());
      REQUIRE(dv.resize(n).is_ok());
      adamw_update(s.ctx, gpu_m.param_block(), gpu_m.grad_block(), dm.data(), dv.data(), n, hp, 1.0f);
      gpu_m.params_to_host();
      double worst = 0.0;
      for (const tensor_spec& spec : cpu_m.param_specs())
        worst = std::max(worst, tensor_error(cpu_m.params(), gpu_m.params(), spec));
      CHECK(worst < 1e-4);
      const float a_cpu = cpu_m.forward_loss(batch.inputs.data(), batch.targets.data(), B, T);
      const float a_gpu = gpu_m.forward_loss(batch.inputs.data(), batch.targets.data(), B, T);
      CHECK(std::abs(a_gpu - a_cpu) <= 1e-4 * std::abs(a_cpu));
    }
  }
}

TEST_CASE("GPT KV-cache decoding on CUDA matches the CPU and the GPU's full forward" * doctest::skip(no_gpu())) {
  gpu_stream s;
  const gpt_config cfg = parity_gpt_config(0.0f, true);
  gpt_model cpu_m(cfg), gpu_m(cfg);
  cpu_m.init_params(11);
  REQUIRE(gpu_m.set_device(s.ctx).is_ok());
  gpu_m.init_params(11);
  const int B = 2, T = 75, V = cfg.vocab_size;
  rng gen(23);
  std::vector<int> tokens(size_t(B) * T);
  for (auto& t : tokens) t = int(gen.below(V));
  std::vector<float> full(size_t(B) * T * V);
  gpu_m.forward_logits(tokens.data(), B, T, full.data());

  auto cs = cpu_m.decode_begin(B);
  auto gs = gpu_m.decode_begin(B);
  double worst_cpu = 0.0, worst_full = 0.0;
  std::vector<float> lc(size_t(B) * V), lg(size_t(B) * V, NAN), row(size_t(B) * V);
  for (int t = 0; t < T; t++) {
    const int step[2] = {tokens[t], tokens[size_t(T) + t]};
    cpu_m.decode_step(*cs, step, lc.data());
    gpu_m.decode_step(*gs, step, lg.data());
    for (int b = 0; b < B; b++)
      std::copy_n(&full[(size_t(b) * T + t) * V], V, &row[size_t(b) * V]);
    worst_cpu = std::max(worst_cpu, parity_error(lc, lg));
    worst_full = std::max(worst_full, parity_error(row, lg));
  }
  CHECK(gs->position == T);
  CHECK(worst_cpu < 1e-5);
  CHECK(worst_full < 1e-5);
}

#ifdef PLUMA_HAVE_CUDA
TEST_CASE("GPT on CUDA with bf16 matmuls stays within bf16 tolerances of the fp32 CPU" * doctest::skip(no_gpu())) {
  gpu_stream s;
  const gpt_config cfg = parity_gpt_config(0.0f, true);
  gpt_model cpu_m(cfg), gpu_m(cfg);
  cpu_m.init_params(5);
  REQUIRE(gpu_m.set_device(s.ctx).is_ok());
  gpu_m.init_params(5);
  const gpt_batch batch(cfg.vocab_size);
  cuda::set_matmul_precision(cuda::matmul_precision::bf16);
  rng r1(1), r2(1);
  cpu_m.zero_grads();
  gpu_m.zero_grads();
  const float l_cpu = cpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), batch.B, batch.T, 1.0f, r1);
  const float l_gpu = gpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), batch.B, batch.T, 1.0f, r2);
  cuda::set_matmul_precision(cuda::matmul_precision::fp32);
  CHECK(std::abs(l_gpu - l_cpu) <= 1e-2 * std::abs(l_cpu));
  gpu_m.grads_to_host();
  for (const tensor_spec& spec : cpu_m.param_specs()) {
    INFO("gradient of ", spec.name);
    CHECK(tensor_error(cpu_m.grads(), gpu_m.grads(), spec) < 5e-2);
  }
}
#endif
