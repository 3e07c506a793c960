// The LSTM LM's size table, initialization, buffers, truncated-BPTT state and the lm_model entry points
// around the scripts in lstm_lm.cpp.
#include <omp.h>

#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "model/core/check.h"
#include "model/ops/tensor_util.h"
#include "model/rnn/lstm_lm.h"

namespace pluma {

lstm_lm::lstm_lm(const lstm_config& config) : cfg_(config) {
  PLUMA_CHECK(lstm_config_validate(cfg_).is_ok(), "lstm_lm built from an invalid config");
  build_size_table();
  n_floats_ = size_table_layout(specs_);
}

// Allocated on first use, so a caller can weigh training_bytes() first (and sampling never allocates
// gradients).
arena& lstm_lm::params() {
  if (lane_of_) return lane_of_->params();
  if (params_.size() != n_floats_) params_.resize(n_floats_);
  return params_;
}

arena& lstm_lm::grads() {
  if (grads_.size() != n_floats_) grads_.resize(n_floats_);
  return grads_;
}

std::unique_ptr<trainable> lstm_lm::make_lane() {
  if (cfg_.carry_state) return nullptr;
  auto lane = std::make_unique<lstm_lm>(cfg_);
  lane->lane_of_ = lane_of_ ? lane_of_ : this;
  lane->impl_ = impl_;
  return lane;
}

int lstm_lm::add_spec(const std::string& name, std::vector<int64_t> shape, bool decay) {
  specs_.push_back(tensor_spec{name, std::move(shape), decay});
  return static_cast<int>(specs_.size()) - 1;
}

// In the order of PyTorch's named_parameters() for lstm_char.py.
void lstm_lm::build_size_table() {
  const int64_t V = cfg_.vocab_size, E = cfg_.embd, H = cfg_.hidden;
  emb_ = add_spec("emb.weight", {V, E}, true);
  for (int l = 0; l < cfg_.layers; l++) {
    const std::string s = std::to_string(l);
    layer_index w;
    w.w_ih = add_spec("lstm.weight_ih_l" + s, {4 * H, l == 0 ? E : H}, true);
    w.w_hh = add_spec("lstm.weight_hh_l" + s, {4 * H, H}, true);
    w.b_ih = add_spec("lstm.bias_ih_l" + s, {4 * H}, false);
    w.b_hh = add_spec("lstm.bias_hh_l" + s, {4 * H}, false);
    layers_.push_back(w);
  }
  head_w_ = cfg_.tie_weights ? emb_ : add_spec("head.weight", {V, H}, true);
  head_b_ = add_spec("head.bias", {V}, false);
}

void lstm_lm::init_params(uint64_t seed) {
  PLUMA_CHECK(!lane_of_, "lstm: a lane reads its model's parameters and draws none");
  rng gen(seed);
  params();
  const float bound = 1.0f / std::sqrt(static_cast<float>(cfg_.hidden));   // every LSTM and head tensor has fan-in H
  for (size_t i = 0; i < specs_.size(); i++) {
    float* p = params_.at(specs_[i]);
    const long n = static_cast<long>(specs_[i].numel());
    if (static_cast<int>(i) == emb_) {
      tensor_fill_normal(cpu_context(), p, 0.0f, 1.0f, n, gen);
    } else {
      for (long k = 0; k < n; k++) p[k] = bound * (2.0f * gen.uniform() - 1.0f);
    }
  }
}

void lstm_lm::ensure_activations(int B, int T, bool training) {
  PLUMA_CHECK(B > 0 && T > 0, "lstm: B and T must be positive");
  const bool own = own_kernels();
  const size_t need = lstm_activations_layout(acts_, nullptr, cfg_, B, T, training, own);
  if (acts_arena_.size() < need) acts_arena_.resize(need);
  lstm_activations_layout(acts_, acts_arena_.data(), cfg_, B, T, training, own);
  if (training) {
    const size_t dneed = lstm_grad_scratch_layout(dacts_, nullptr, cfg_, B, T, own);
    if (dacts_arena_.size() < dneed) dacts_arena_.resize(dneed);
    lstm_grad_scratch_layout(dacts_, dacts_arena_.data(), cfg_, B, T, own);
  }
}

void lstm_lm::set_impl(lstm_impl impl) {
  impl_ = impl;
  primitives_.clear();
}

lstm_primitive& lstm_lm::primitive(int l, int B, int T) {
  // oneDNN makes a primitive for the threads there are (omp_get_max_threads: one in a lane, all of them
  // outside), so those are part of the key
  const std::array<int, 3> key{B, T, omp_get_max_threads()};
  if (primitives_.size() >= 4 && !primitives_.count(key)) primitives_.clear();   // shapes keep changing
  auto& layers = primitives_[key];
  if (layers.empty()) {
    for (int k = 0; k < cfg_.layers; k++)
      layers.push_back(std::make_unique<lstm_primitive>(cpu_context(), T, B, k == 0 ? cfg_.embd : cfg_.hidden,
                                                        cfg_.hidden));
  }
  return *layers[l];
}

float lstm_lm::forward_backward(const int* inputs, const int* targets, int B, int T, float grad_scale,
                                rng& dropout_rng) {
  params();
  grads();
  ensure_activations(B, T, /*training=*/true);
  const size_t state_n = size_t(cfg_.layers) * B * cfg_.hidden;
  const bool from_state = state_B_ == B;
  if (from_state) {
    std::memcpy(acts_.h0, state_h_.data(), state_n * sizeof(float));
    std::memcpy(acts_.c0, state_c_.data(), state_n * sizeof(float));
  }
  const float loss = forward(inputs, targets, B, T, from_state, &dropout_rng, nullptr);
  backward(B, T, from_state, grad_scale);
  if (cfg_.carry_state) {
    set_state(acts_.hT, acts_.cT, B);   // detached: the next batch gets values, no gradient path
  } else {
    reset_state();
  }
  return loss;
}

float lstm_lm::forward_loss(const int* inputs, const int* targets, int B, int T) {
  params();
  ensure_activations(B, T, /*training=*/false);
  return forward(inputs, targets, B, T, false, nullptr, nullptr);
}

void lstm_lm::forward_logits(const int* inputs, int B, int T, float* logits) {
  params();
  ensure_activations(B, T, /*training=*/false);
  forward(inputs, nullptr, B, T, false, nullptr, logits);
}

float lstm_lm::forward_stateful(const int* inputs, const int* targets, int B, int T, float* logits, float* h,
                                float* c) {
  PLUMA_CHECK((h == nullptr) == (c == nullptr), "lstm forward_stateful: give both h and c, or neither");
  params();
  ensure_activations(B, T, /*training=*/false);
  const size_t state_n = size_t(cfg_.layers) * B * cfg_.hidden;
  if (h) {
    std::memcpy(acts_.h0, h, state_n * sizeof(float));
    std::memcpy(acts_.c0, c, state_n * sizeof(float));
  }
  const float loss = forward(inputs, targets, B, T, h != nullptr, nullptr, logits);
  if (h) {
    std::memcpy(h, acts_.hT, state_n * sizeof(float));
    std::memcpy(c, acts_.cT, state_n * sizeof(float));
  }
  return loss;
}

void lstm_lm::reset_state() {
  state_B_ = 0;
  state_h_.clear();
  state_c_.clear();
}

void lstm_lm::get_state(std::vector<float>& h, std::vector<float>& c) const {
  h = state_h_;
  c = state_c_;
}

void lstm_lm::set_state(const float* h, const float* c, int B) {
  PLUMA_CHECK(B > 0, "lstm set_state: B must be positive");
  const size_t n = size_t(cfg_.layers) * B * cfg_.hidden;
  state_h_.assign(h, h + n);
  state_c_.assign(c, c + n);
  state_B_ = B;
}

size_t lstm_lm::training_bytes(int B, int T) const {
  lstm_activations a;
  lstm_grad_scratch g;
  const size_t n_acts = lstm_activations_layout(a, nullptr, cfg_, B, T, true, true) +
                        lstm_grad_scratch_layout(g, nullptr, cfg_, B, T, true);   // the larger of the two
  const size_t n_state = 2 * size_t(cfg_.layers) * B * cfg_.hidden;
  return (4 * n_floats_ + n_acts + n_state) * sizeof(float);   // params, grads, two Adam moments, buffers
}

}  // namespace pluma
