// locked_model: one loaded model shared by the server's worker threads. A model's forward passes use its own
// activation buffers, so every call goes through one mutex; each request keeps its own decode_state, so two
// generations interleave token by token instead of waiting for each other.
#pragma once
#include <memory>
#include <mutex>

#include "model/model.h"

namespace pluma::serve {

class locked_model final : public lm_model {
 public:
  explicit locked_model(lm_model& inner) : m_(inner) {}

  model_kind kind() const override { return m_.kind(); }
  nlohmann::json config_json() const override { return m_.config_json(); }
  int vocab_size() const override { return m_.vocab_size(); }
  int context_length() const override { return m_.context_length(); }
  const std::vector<tensor_spec>& param_specs() const override { return m_.param_specs(); }
  size_t training_bytes(int B, int T) const override { return m_.training_bytes(B, T); }

  // The server never trains: these exist for the interface and still take the lock.
  arena& params() override { return m_.params(); }
  arena& grads() override { return m_.grads(); }
  void init_params(uint64_t seed) override { std::lock_guard<std::mutex> g(mu_); m_.init_params(seed); }
  float forward_backward(const int* inputs, const int* targets, int B, int T, float grad_scale,
                         rng& dropout_rng) override {
    std::lock_guard<std::mutex> g(mu_);
    return m_.forward_backward(inputs, targets, B, T, grad_scale, dropout_rng);
  }
  float forward_loss(const int* inputs, const int* targets, int B, int T) override {
    std::lock_guard<std::mutex> g(mu_);
    return m_.forward_loss(inputs, targets, B, T);
  }

  void forward_logits(const int* inputs, int B, int T, float* logits) override {
    std::lock_guard<std::mutex> g(mu_);
    m_.forward_logits(inputs, B, T, logits);
  }
  std::unique_ptr<decode_state> decode_begin(int B) override {
    std::lock_guard<std::mutex> g(mu_);
    return m_.decode_begin(B);
  }
  void decode_step(decode_state& state, const int* tokens, float* logits) override {
    std::lock_guard<std::mutex> g(mu_);
    m_.decode_step(state, tokens, logits);
  }
  void decode_rewind(decode_state& state) override {
    std::lock_guard<std::mutex> g(mu_);
    m_.decode_rewind(state);
  }
  void decode_prefill(decode_state& state, const int* tokens, int T, float* logits) override {
    std::lock_guard<std::mutex> g(mu_);
    m_.decode_prefill(state, tokens, T, logits);
  }
  void share_decoding_weights(bool on) override {
    std::lock_guard<std::mutex> g(mu_);
    m_.share_decoding_weights(on);
  }
  const exec_context& exec() const override { return m_.exec(); }

 private:
  lm_model& m_;
  std::mutex mu_;
};

}  // namespace pluma::serve
