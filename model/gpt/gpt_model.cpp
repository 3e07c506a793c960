// The GPT's size table, initialization, buffers and the lm_model entry points around the scripts in gpt.cpp.
#include <cmath>
#include <string>

#include "model/core/check.h"
#include "model/gpt/gpt.h"
#include "model/ops/matmul.h"
#include "model/ops/tensor_util.h"

namespace pluma {

gpt_model::gpt_model(const gpt_config& config) : cfg_(config) {
  PLUMA_CHECK(gpt_config_validate(cfg_).is_ok(), "gpt_model built from an invalid config");
  build_size_table();
  n_floats_ = size_table_layout(specs_);
}

// Parameters and gradients are allocated on first use, so that a caller can weigh training_bytes() first
// (and sampling never allocates gradients).
arena& gpt_model::params() {
  if (lane_of_) return lane_of_->params();
  if (params_.size() != n_floats_) params_.resize(n_floats_);
  return params_;
}

arena& gpt_model::grads() {
  if (grads_.size() != n_floats_) grads_.resize(n_floats_);
  return grads_;
}

int gpt_model::add_spec(const std::string& name, std::vector<int64_t> shape, bool decay) {
  specs_.push_back(tensor_spec{name, std::move(shape), decay});
  return static_cast<int>(specs_.size()) - 1;
}

// In the order of PyTorch's named_parameters() for gpt_char.py (the tied lm_head.weight is wte.weight).
void gpt_model::build_size_table() {
  const int64_t V = cfg_.vocab_size, C = cfg_.embd, maxT = cfg_.context;
  const bool b = cfg_.bias;
  auto bias = [&](const std::string& name, int64_t n) { return b ? add_spec(name, {n}, false) : -1; };
  wte_ = add_spec("wte.weight", {V, C}, true);
  wpe_ = add_spec("wpe.weight", {maxT, C}, true);
  for (int l = 0; l < cfg_.layers; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    block_index w;
    w.ln1w = add_spec(p + "ln1.weight", {C}, false);
    w.ln1b = bias(p + "ln1.bias", C);
    w.qkvw = add_spec(p + "attn.qkv.weight", {3 * C, C}, true);
    w.qkvb = bias(p + "attn.qkv.bias", 3 * C);
    w.attprojw = add_spec(p + "attn.proj.weight", {C, C}, true);
    w.attprojb = bias(p + "attn.proj.bias", C);
    w.ln2w = add_spec(p + "ln2.weight", {C}, false);
    w.ln2b = bias(p + "ln2.bias", C);
    w.fcw = add_spec(p + "mlp.fc.weight", {4 * C, C}, true);
    w.fcb = bias(p + "mlp.fc.bias", 4 * C);
    w.fcprojw = add_spec(p + "mlp.proj.weight", {C, 4 * C}, true);
    w.fcprojb = bias(p + "mlp.proj.bias", C);
    blocks_.push_back(w);
  }
  lnfw_ = add_spec("ln_f.weight", {C}, false);
  lnfb_ = bias("ln_f.bias", C);
}

void gpt_model::init_params(uint64_t seed) {
  PLUMA_CHECK(!lane_of_, "gpt: a lane reads its model's parameters and draws none");
  const exec_context& ctx = cpu_context();   // drawn on the host, so every device starts from the same weights
  rng gen(seed);
  params();
  const float std_resid = 0.02f / std::sqrt(2.0f * static_cast<float>(cfg_.layers));
  params_.zero();   // biases
  auto ones = [&](int i) { tensor_fill(ctx, params_.at(specs_[i]), 1.0f, static_cast<long>(specs_[i].numel())); };
  for (const block_index& w : blocks_) {
    ones(w.ln1w);
    ones(w.ln2w);
  }
  ones(lnfw_);
  for (const tensor_spec& s : specs_) {
    if (s.shape.size() < 2) continue;   // biases and LayerNorm parameters are set above
    const bool resid = s.name.ends_with("attn.proj.weight") || s.name.ends_with("mlp.proj.weight");
    tensor_fill_normal(ctx, params_.at(s), 0.0f, resid ? std_resid : 0.02f, static_cast<long>(s.numel()), gen);
  }
  if (on_gpu()) params_to_device();
}

bool gpt_model::keeps_bf16_copies() const { return !on_gpu() && matmul_bf16(); }

operand gpt_model::weight(int i) {
  if (!acts_.bf16_copies) return param(i);
  return operand(params16_.data() + specs_[i].offset);
}

void gpt_model::ensure_activations(int B, int T, bool training, bool bf16_copies) {
  PLUMA_CHECK(B > 0 && T > 0 && T <= cfg_.context, "gpt: T must be in [1, context]");
  PLUMA_CHECK(!bf16_copies || keeps_bf16_copies(), "gpt: bf16 copies only under bf16 products on the CPU");
  const size_t need = gpt_activations_layout(acts_, nullptr, cfg_, B, T, training, bf16_copies);
  gpt_activations_layout(acts_, activation_block(acts_arena_, dacts_dev_, need), cfg_, B, T, training, bf16_copies);
  if (bf16_copies && params16_.size() != n_floats_) params16_.resize(n_floats_);
  if (training) {
    const size_t dneed = gpt_grad_scratch_layout(dacts_, nullptr, cfg_, B, T);
    gpt_grad_scratch_layout(dacts_, activation_block(dacts_arena_, ddacts_dev_, dneed), cfg_, B, T);
  }
}

float gpt_model::forward_backward(const int* inputs, const int* targets, int B, int T, float grad_scale,
                                  rng& dropout_rng) {
  params();
  grads();
  ensure_activations(B, T, /*training=*/true, keeps_bf16_copies());
  const int *in, *tg;
  tokens_for_ops(inputs, targets, long(B) * T, &in, &tg);
  const float loss = forward(in, tg, B, T, &dropout_rng, nullptr);
  backward(in, tg, B, T, grad_scale, acts_.training);
  return loss;
}

float gpt_model::forward_loss(const int* inputs, const int* targets, int B, int T) {
  params();
  ensure_activations(B, T, /*training=*/false, keeps_bf16_copies());
  const int *in, *tg;
  tokens_for_ops(inputs, targets, long(B) * T, &in, &tg);
  return forward(in, tg, B, T, nullptr, nullptr);
}

void gpt_model::forward_logits(const int* inputs, int B, int T, float* logits) {
  params();
  ensure_activations(B, T, /*training=*/false, keeps_bf16_copies());
  const int *in, *tg;
  tokens_for_ops(inputs, nullptr, long(B) * T, &in, &tg);
  forward(in, nullptr, B, T, nullptr, on_gpu() ? nullptr : logits);
  if (on_gpu()) device_copy_from(ctx_, logits, acts_.logits, sizeof(float) * B * T * cfg_.vocab_size);
}

size_t gpt_model::training_bytes(int B, int T) const {
  gpt_activations a;
  gpt_grad_scratch g;
  const size_t n_params = n_floats_;
  const bool copies = keeps_bf16_copies();
  const size_t n_acts = gpt_activations_layout(a, nullptr, cfg_, B, T, true, copies) +
                        gpt_grad_scratch_layout(g, nullptr, cfg_, B, T);
  const size_t n_params16 = copies ? (n_params + 1) / 2 : 0;   // the weights' bf16 copy, in floats
  // params, grads, two AdamW moments, the weights' bf16 copy, activations
  return (4 * n_params + n_params16 + n_acts) * sizeof(float);
}

}  // namespace pluma
