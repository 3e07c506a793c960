// A toy language model for the trainer's tests: a bigram table W (V, V) plus a bias b (V),
// logits(n) = dropout(W[input n]) + b. Small, exact, and it draws from the dropout rng, so tests see whether
// that rng is restored on resume. poison_at makes forward_backward return NaN at that call;
// poison_eval makes forward_loss return inf.
#pragma once
#include <cmath>
#include <cstdio>
#include <vector>

#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "train/batches.h"

namespace pluma::toy {

class bigram_model : public lm_model {
 public:
  explicit bigram_model(int V, float dropout = 0.1f) : V_(V), dropout_(dropout) {
    specs_ = {{"w", {V, V}, true}, {"b", {V}, false}};
    size_t n = size_table_layout(specs_);
    params_.resize(n);
    grads_.resize(n);
  }
  model_kind kind() const override { return model_kind::gpt; }
  nlohmann::json config_json() const override { return {{"model", "toy-bigram"}, {"vocab_size", V_}}; }
  int vocab_size() const override { return V_; }
  int context_length() const override { return 0; }
  const std::vector<tensor_spec>& param_specs() const override { return specs_; }
  arena& params() override { return params_; }
  arena& grads() override { return grads_; }
  void init_params(uint64_t seed) override {
    rng g(seed);
    for (size_t i = 0; i < params_.size(); i++) params_.data()[i] = 0;
    for (const auto& t : specs_)
      for (size_t i = 0; i < t.numel(); i++) params_.at(t)[i] = 0.5f * g.normal();
  }
  float forward_backward(const int* inputs, const int* targets, int B, int T, float grad_scale,
                         rng& dropout_rng) override {
    calls++;
    if (calls == poison_at) return NAN;
    return run(inputs, targets, B * T, grad_scale, &dropout_rng);
  }
  float forward_loss(const int* inputs, const int* targets, int B, int T) override {
    if (poison_eval) return INFINITY;
    return run(inputs, targets, B * T, 0.0f, nullptr);
  }
  void forward_logits(const int*, int, int, float*) override {}
  std::unique_ptr<decode_state> decode_begin(int) override { return nullptr; }
  void decode_rewind(decode_state&) override {}
  void decode_step(decode_state&, const int*, float*) override {}
  size_t training_bytes(int, int) const override { return 4 * params_.size() * sizeof(float); }

  int calls = 0;
  int poison_at = -1;
  bool poison_eval = false;

 private:
  float run(const int* inputs, const int* targets, int N, float grad_scale, rng* drop) {
    const float* W = params_.at(specs_[0]);   // (V, V)
    const float* b = params_.at(specs_[1]);   // (V)
    float* dW = grads_.at(specs_[0]);
    float* db = grads_.at(specs_[1]);
    std::vector<float> mask(V_), logits(V_);
    double loss = 0;
    for (int n = 0; n < N; n++) {
      const float* row = W + static_cast<size_t>(inputs[n]) * V_;
      for (int j = 0; j < V_; j++) {
        mask[j] = drop ? (drop->uniform() < dropout_ ? 0.0f : 1.0f / (1.0f - dropout_)) : 1.0f;
        logits[j] = row[j] * mask[j] + b[j];
      }
      float mx = logits[0];
      for (int j = 1; j < V_; j++) mx = std::max(mx, logits[j]);
      double z = 0;
      for (int j = 0; j < V_; j++) z += std::exp(static_cast<double>(logits[j] - mx));
      loss += std::log(z) - (logits[targets[n]] - mx);
      if (!drop) continue;
      for (int j = 0; j < V_; j++) {
        float p = static_cast<float>(std::exp(static_cast<double>(logits[j] - mx)) / z);
        float d = (p - (j == targets[n] ? 1.0f : 0.0f)) * grad_scale / N;
        dW[static_cast<size_t>(inputs[n]) * V_ + j] += d * mask[j];
        db[j] += d;
      }
    }
    return static_cast<float>(loss / N);
  }

  int V_;
  float dropout_;
  std::vector<tensor_spec> specs_;
  arena params_, grads_;
};

// Token ids as letters; enough of a tokenizer for checkpoints.
class letters : public tokenizer {
 public:
  explicit letters(int V) : V_(V) {}
  tokenizer_kind kind() const override { return tokenizer_kind::chars; }
  int vocab_size() const override { return V_; }
  std::vector<int> encode(std::string_view text) const override {
    std::vector<int> ids;
    for (char c : text) ids.push_back(c - 'a');
    return ids;
  }
  std::string decode(const std::vector<int>& ids) const override {
    std::string s;
    for (int i : ids) s += static_cast<char>('a' + i);
    return s;
  }
  std::string id_to_piece(int id) const override { return std::string(1, static_cast<char>('a' + id)); }
  int piece_to_id(std::string_view p) const override { return p.size() == 1 ? p[0] - 'a' : unk_id; }
  std::string serialize() const override { return "toy letters " + std::to_string(V_); }

 private:
  int V_;
};

// A corpus with structure to learn: a repeating walk over V symbols with some noise.
inline std::vector<int> toy_tokens(int V, int n, uint64_t seed) {
  rng g(seed);
  std::vector<int> t(n);
  for (int i = 0; i < n; i++) t[i] = g.uniform() < 0.8f ? (i * 3) % V : static_cast<int>(g.below(V));
  return t;
}

}  // namespace pluma::toy
