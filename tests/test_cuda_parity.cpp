// CPU <-> CUDA parity over the op case registry (tests/op_cases.h), plus larger shapes that reach the GPU
// kernels' multi-tile paths: the same inputs on both backends; forward outputs, saved buffers, inputs updated
// in place and every gradient compared by normalized error. Device outputs start as NaN (a poison), so an
// element a kernel never writes fails the comparison. Then the whole GPT: loss, every gradient, logits, an
// AdamW step and KV-cache decoding, CPU against GPU from the same weights.
// Only the ops that have a CUDA kernel are run (cuda_parity_cases(); tests/test_op_registry.cpp checks on the
// CPU that every model/ops/cuda/*.cu file is among them). Helpers: tests/cuda_parity.h.
// Without a usable GPU every parity test is skipped (doctest's skip decorator, so no assertion passes) and
// the program prints "skipped: no CUDA device (<reason>)", which ctest reports as a skip.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "model/core/device_arena.h"
#include "model/core/exec.h"
#include "model/gpt/gpt.h"
#include "model/ops/tensor_util.h"
#include "tests/cuda_parity.h"
#include "train/optimizer.h"

#ifdef PLUMA_HAVE_CUDA
#include "model/ops/cuda/backend.h"
#endif

using namespace pluma;
using namespace pluma::op_test;

namespace {

// Shapes beyond the registry's small ones: several tiles, blocks and chunks in every GPU kernel, every
// attention head width (16, 32, 64, 128, and a padded one) over several query blocks (64 rows) and key tiles
// (32 keys), GPT-sized rows.
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
  cases.push_back(attention_case("attention_hs32_tiles", 120, 2, 161, 64, 2));
  cases.push_back(attention_case("attention_hs128_tiles", 121, 2, 200, 256, 2));
  cases.push_back(attention_inference_case("attention_no_att_hs64", 122, 2, 150, 256, 4));
  cases.push_back(matmul_case("matmul_no_dinp_large", 123, 300, 256, 513, true, /*inp_grad=*/false));
  cases.push_back(attention_decode_case("attention_decode_long", 112, 2, 77, 100, 128, 2));
  cases.push_back(attention_decode_case("attention_decode_hs128", 113, 2, 33, 40, 256, 2));
  cases.push_back(gelu_case("gelu_large", 114, (1L << 20) + 3, 3.0f));
  cases.push_back(residual_case("residual_large", 115, (1L << 20) + 7));
  cases.push_back(dropout_case("dropout_large", 116, (1L << 20) + 1, 0.1f));
  cases.push_back(softmax_xent_case("softmax_xent_gpt_vocab", 117, 9, 50304, 0.0f));
  cases.push_back(softmax_xent_case("softmax_xent_smoothing_wide", 118, 5, 4099, 0.1f));
  adamw_params hp{.lr = 3e-4f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f, .step = 7};
  cases.push_back(adamw_case("adamw_large", 119, (size_t(1) << 20) + 5, hp, 0.7f));
  return cases_on(std::move(cases), device::cuda);
}

}  // namespace

TEST_CASE("CUDA device") {
  if (no_gpu()) {
    MESSAGE("skipped: no CUDA device (" << gpu().why << ")");
    return;
  }
  MESSAGE("device: " << cuda_device_description());
}

TEST_CASE("CPU and CUDA agree on every op case of the registry that has a CUDA kernel" * doctest::skip(no_gpu())) {
  const std::vector<op_case> cases = cuda_parity_cases();
  REQUIRE(cases.size() >= 30);
  check_cases(cases);
}

TEST_CASE("CPU and CUDA agree on the legacy default stream (the CLI's)" * doctest::skip(no_gpu())) {
  check_cases(cuda_parity_cases(), /*legacy_stream=*/true);
}

TEST_CASE("CPU and CUDA agree on large and multi-tile shapes" * doctest::skip(no_gpu())) {
  check_cases(large_cases());
}

TEST_CASE("CUDA ops are deterministic run to run" * doctest::skip(no_gpu())) {
  gpu_stream s;
  std::vector<op_case> cases = cuda_parity_cases();
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
  for (auto& c : cuda_parity_cases())
    if (c.op == "matmul") matmuls.push_back(std::move(c));
  for (auto& c : large_cases())
    if (c.op == "matmul") matmuls.push_back(std::move(c));
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

// The same GPT on both backends: the CPU's, and one on ctx's GPU, both from init_params(seed).
struct gpt_pair {
  gpt_model cpu, gpu;
  gpt_pair(const gpt_config& cfg, uint64_t seed, const exec_context& ctx) : cpu(cfg), gpu(cfg) {
    cpu.init_params(seed);
    const status st = gpu.set_device(ctx);   // parameters, gradients zero-filled on ctx's stream
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    gpu.init_params(seed);
  }
};

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

// The key third of every attn.qkv.bias, as (offset, n) float ranges of the parameter arena. Its gradient is
// mathematically zero: the k-bias adds q·b_k to every score of a query row, a constant that softmax ignores.
// What reaches it is rounding noise, which Adam's first steps, lr·g/(|g| + eps), turn into full ±lr moves of
// either sign: the two backends may differ there by up to 2·lr per step however exact they are elsewhere
// (measured on the CPU alone, one backend's k-bias update is already 1.3e-4 of the tensor's norm). Parameter
// comparisons after a step leave these ranges out and only bound them (max_abs_diff <= 2·lr·steps).
std::vector<std::pair<size_t, size_t>> key_bias_ranges(const gpt_model& m) {
  std::vector<std::pair<size_t, size_t>> r;
  for (const tensor_spec& spec : m.param_specs())
    if (spec.name.ends_with("attn.qkv.bias")) r.push_back({spec.offset + spec.numel() / 3, spec.numel() / 3});
  return r;
}

// Worst normalized error over the parameter tensors of a and b, the key-bias thirds left out (see above).
double params_error(const gpt_model& m, const arena& a, const arena& b) {
  double worst = 0.0;
  for (const tensor_spec& spec : m.param_specs()) {
    if (!spec.name.ends_with("attn.qkv.bias")) {
      worst = std::max(worst, tensor_error(a, b, spec));
      continue;
    }
    const size_t C = spec.numel() / 3;
    worst = std::max({worst, range_error(a, b, spec.offset, C), range_error(a, b, spec.offset + 2 * C, C)});
  }
  return worst;
}

// The largest |a - b| over the key-bias thirds: each backend moves them by at most lr per step.
double key_bias_diff(const gpt_model& m, const arena& a, const arena& b) {
  double worst = 0.0;
  for (const auto& [offset, n] : key_bias_ranges(m))
    for (size_t i = offset; i < offset + n; i++) worst = std::max(worst, double(std::abs(a.data()[i] - b.data()[i])));
  return worst;
}

}  // namespace

TEST_CASE("GPT on CUDA matches the CPU: loss, every gradient, logits, an AdamW step" * doctest::skip(no_gpu())) {
  gpu_stream s;
  for (const bool bias : {true, false}) {
    for (const float dropout : {0.0f, 0.1f}) {
      INFO("bias ", bias, ", dropout ", dropout);
      const gpt_config cfg = parity_gpt_config(dropout, bias);
      gpt_pair models(cfg, 7, s.ctx);
      gpt_model &cpu_m = models.cpu, &gpu_m = models.gpu;
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
      REQUIRE(dm.resize(n, s.ctx).is_ok());
      REQUIRE(dv.resize(n, s.ctx).is_ok());
      adamw_update(s.ctx, gpu_m.param_block(), gpu_m.grad_block(), dm.data(), dv.data(), n, hp, 1.0f);
      gpu_m.params_to_host();
      CHECK(params_error(cpu_m, cpu_m.params(), gpu_m.params()) < 1e-4);   // key biases aside: see key_bias_ranges
      CHECK(key_bias_diff(cpu_m, cpu_m.params(), gpu_m.params()) <= 2.0 * hp.lr * 1.001);
      const float a_cpu = cpu_m.forward_loss(batch.inputs.data(), batch.targets.data(), B, T);
      const float a_gpu = gpu_m.forward_loss(batch.inputs.data(), batch.targets.data(), B, T);
      CHECK(std::abs(a_gpu - a_cpu) <= 1e-4 * std::abs(a_cpu));
    }
  }
}

TEST_CASE("GPT KV-cache decoding on CUDA matches the CPU and the GPU's full forward" * doctest::skip(no_gpu())) {
  gpu_stream s;
  const gpt_config cfg = parity_gpt_config(0.0f, true);
  gpt_pair models(cfg, 11, s.ctx);
  gpt_model &cpu_m = models.cpu, &gpu_m = models.gpu;
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

  // prefill: P positions in one batched forward on each backend, then decoding on from there, all equal to
  // the full forward (the path `pluma generate --device cuda --prompt ...` takes, and every window slide)
  for (const int P : {2, 31, T - 1}) {
    INFO("prefill of ", P, " positions");
    std::vector<int> prefix(size_t(B) * P);   // (B, P)
    for (int b = 0; b < B; b++) std::copy_n(&tokens[size_t(b) * T], P, &prefix[size_t(b) * P]);
    auto cp = cpu_m.decode_begin(B);
    auto gp = gpu_m.decode_begin(B);
    cpu_m.decode_prefill(*cp, prefix.data(), P, lc.data());
    std::fill(lg.begin(), lg.end(), NAN);
    gpu_m.decode_prefill(*gp, prefix.data(), P, lg.data());
    CHECK(gp->position == P);
    for (int b = 0; b < B; b++) std::copy_n(&full[(size_t(b) * T + P - 1) * V], V, &row[size_t(b) * V]);
    CHECK(parity_error(lc, lg) < 1e-5);
    CHECK(parity_error(row, lg) < 1e-5);
    double worst = 0.0;
    for (int t = P; t < T; t++) {
      const int step[2] = {tokens[t], tokens[size_t(T) + t]};
      gpu_m.decode_step(*gp, step, lg.data());
      for (int b = 0; b < B; b++) std::copy_n(&full[(size_t(b) * T + t) * V], V, &row[size_t(b) * V]);
      worst = std::max(worst, parity_error(row, lg));
    }
    CHECK(worst < 1e-5);
  }
}

// The trainer's device path (train/trainer.cpp): the global gradient norm from tensor_sumsq on the GPU, the
// clipping factor, then the optimizer's per-span AdamW (decay only on matrices and embeddings) over the
// device blocks, twice, with moments on the GPU; CPU against GPU from the same weights and batch.
TEST_CASE("the trainer's GPU step (norm, clipping, per-span AdamW) matches the CPU" * doctest::skip(no_gpu())) {
  gpu_stream s;
  const gpt_config cfg = parity_gpt_config(0.0f, true);
  gpt_pair models(cfg, 13, s.ctx);
  gpt_model &cpu_m = models.cpu, &gpu_m = models.gpu;
  const gpt_batch batch(cfg.vocab_size);
  optimizer_config oc;
  oc.weight_decay = 0.1f;
  const size_t n = cpu_m.params().size();
  optimizer cpu_opt(oc, cpu_m.param_specs(), n), gpu_opt(oc, gpu_m.param_specs(), n);
  REQUIRE(gpu_opt.to_device(s.ctx).is_ok());
  const float lr = 1e-3f;
  for (int step = 1; step <= 2; step++) {
    INFO("step ", step);
    cpu_m.zero_grads();
    gpu_m.zero_grads();
    rng r1(5), r2(5);
    cpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), batch.B, batch.T, 1.0f, r1);
    gpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), batch.B, batch.T, 1.0f, r2);
    const double norm_cpu = grad_global_norm(cpu_m.grads().data(), n);
    const double norm_gpu = std::sqrt(tensor_sumsq(s.ctx, gpu_m.grad_block(), long(n)));
    REQUIRE(norm_cpu > 0.0);
    CHECK(std::abs(norm_gpu - norm_cpu) <= 1e-5 * norm_cpu);
    const float max_norm = float(0.5 * norm_cpu);
    const float clip_cpu = grad_clip_scale(norm_cpu, max_norm), clip_gpu = grad_clip_scale(norm_gpu, max_norm);
    CHECK(clip_cpu == doctest::Approx(0.5).epsilon(1e-4));   // the clipping is active
    CHECK(clip_gpu == doctest::Approx(clip_cpu).epsilon(1e-5));
    cpu_opt.step(cpu_context(), cpu_m.param_block(), cpu_m.grad_block(), lr, clip_cpu);
    gpu_opt.step(s.ctx, gpu_m.param_block(), gpu_m.grad_block(), lr, clip_gpu);
    gpu_m.params_to_host();
    CHECK(params_error(cpu_m, cpu_m.params(), gpu_m.params()) < 1e-4);   // key biases aside: see key_bias_ranges
    CHECK(key_bias_diff(cpu_m, cpu_m.params(), gpu_m.params()) <= 2.0 * lr * step * 1.001);
  }
  gpu_opt.moments_to_host();
  CHECK(gpu_opt.step_count() == 2);
  for (const tensor_spec& spec : cpu_m.param_specs()) {
    INFO("moments of ", spec.name);
    CHECK(tensor_error(cpu_opt.m(), gpu_opt.m(), spec) < 1e-4);
    CHECK(tensor_error(cpu_opt.v(), gpu_opt.v(), spec) < 1e-4);
  }
}

TEST_CASE("GPT on the legacy default stream (the CLI's) matches the CPU" * doctest::skip(no_gpu())) {
  gpu_stream s(/*legacy=*/true);
  const gpt_config cfg = parity_gpt_config(0.1f, true);
  gpt_pair models(cfg, 3, s.ctx);
  gpt_model &cpu_m = models.cpu, &gpu_m = models.gpu;
  const gpt_batch batch(cfg.vocab_size);
  rng r1(9), r2(9);
  cpu_m.zero_grads();
  gpu_m.zero_grads();
  const float l_cpu = cpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), batch.B, batch.T, 1.0f, r1);
  const float l_gpu = gpu_m.forward_backward(batch.inputs.data(), batch.targets.data(), batch.B, batch.T, 1.0f, r2);
  CHECK(std::abs(l_gpu - l_cpu) <= 1e-5 * std::abs(l_cpu));
  gpu_m.grads_to_host();
  double worst = 0.0;
  for (const tensor_spec& spec : cpu_m.param_specs())
    worst = std::max(worst, tensor_error(cpu_m.grads(), gpu_m.grads(), spec));
  CHECK(worst < 1e-4);
}

// GPT-2 small's shapes: the LM head's product (B*T = 8192 rows, C = 768, V = 50304) against the CPU, then one
// whole training step on the GPU (T = 1024, 12 layers, 12 heads of 64): a loss near ln V at initialization,
// finite gradients, and a lower loss on the same batch after one AdamW step.
TEST_CASE("GPT-2-small shapes: the LM head matches the CPU; one training step on the GPU" * doctest::skip(no_gpu())) {
  gpu_stream s;
  {
    const op_case head = op_test::detail::matmul_case("matmul_gpt2_lm_head", 131, 8192, 768, 50304, false);
    const op_host_data start = start_data(head);
    check_parity(head, run_on_cpu(head, start), run_on_gpu(head, s.ctx, start), 1e-5);
  }
  gpt_config cfg;
  cfg.vocab_size = 50304;
  cfg.context = 1024;
  cfg.layers = 12;
  cfg.heads = 12;
  cfg.embd = 768;
  gpt_model m(cfg);
  REQUIRE(m.set_device(s.ctx).is_ok());
  m.init_params(1);
  const int B = 8, T = 1024;
  rng gen(2);
  std::vector<int> inputs(size_t(B) * T), targets(inputs.size());
  for (auto& x : inputs) x = int(gen.below(cfg.vocab_size));
  for (auto& x : targets) x = int(gen.below(cfg.vocab_size));
  m.zero_grads();
  rng drop(1);
  const float loss = m.forward_backward(inputs.data(), targets.data(), B, T, 1.0f, drop);
  const double ln_v = std::log(double(cfg.vocab_size));
  CHECK(loss > ln_v - 0.1);   // small random logits: about ln V, a little above
  CHECK(loss < ln_v + 1.0);
  const size_t n = m.params().size();
  const double sumsq = tensor_sumsq(s.ctx, m.grad_block(), long(n));
  CHECK(std::isfinite(sumsq));
  CHECK(sumsq > 0.0);
  device_arena dm, dv;
  REQUIRE(dm.resize(n, s.ctx).is_ok());
  REQUIRE(dv.resize(n, s.ctx).is_ok());
  adamw_params hp;
  hp.lr = 1e-3f;
  adamw_update(s.ctx, m.param_block(), m.grad_block(), dm.data(), dv.data(), n, hp, 1.0f);
  const float after = m.forward_loss(inputs.data(), targets.data(), B, T);
  CHECK(std::isfinite(after));
  CHECK(after < loss);
}

#ifdef PLUMA_HAVE_CUDA
TEST_CASE("GPT on CUDA with bf16 matmuls stays within bf16 tolerances of the fp32 CPU" * doctest::skip(no_gpu())) {
  gpu_stream s;
  const gpt_config cfg = parity_gpt_config(0.0f, true);
  gpt_pair models(cfg, 5, s.ctx);
  gpt_model &cpu_m = models.cpu, &gpu_m = models.gpu;
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
