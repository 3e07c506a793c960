// model: the interface every language model implements (GPT, LSTM LM): a trainable (model/trainable.h) that
// also decodes. A model knows neither how it is trained nor how it is sampled.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/core/arena.h"
#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/core/status.h"
#include "model/trainable.h"

namespace pluma {

// Incremental decoding state: a KV cache (GPT) or recurrent state (LSTM), for B sequences.
struct decode_state {
  virtual ~decode_state() = default;
  int batch = 0;
  int position = 0;   // tokens consumed so far
};

class lm_model : public trainable {
 public:
  virtual int vocab_size() const = 0;
  virtual int context_length() const = 0;                          // max positions; 0 = unbounded (LSTM)

  // Training step: mean cross-entropy over the B*T targets; gradients of (grad_scale * loss) are ADDED
  // into grads(). inputs, targets: (B, T). Dropout draws from dropout_rng.
  virtual float forward_backward(const int* inputs, const int* targets, int B, int T, float grad_scale,
                                 rng& dropout_rng) = 0;
  // Evaluation: mean cross-entropy, no dropout, no gradients.
  virtual float forward_loss(const int* inputs, const int* targets, int B, int T) = 0;
  // Logits of every position, no dropout. inputs: (B, T); logits: (B, T, V).
  virtual void forward_logits(const int* inputs, int B, int T, float* logits) = 0;

  // Incremental decoding: one token per sequence per step. tokens: (B); logits: (B, V).
  // For a GPT, state.position must stay below context_length() (the decoding loop slides the window).
  virtual std::unique_ptr<decode_state> decode_begin(int B) = 0;
  virtual void decode_step(decode_state& state, const int* tokens, float* logits) = 0;
  // Back to position 0 as decode_begin(state.batch) would leave it, keeping the state's memory (and any
  // converted weights): the decoding loop's window slide rebuilds in place instead of allocating again.
  virtual void decode_rewind(decode_state& state) = 0;
  // T steps at once, as T decode_step calls would: tokens (B, T); logits (B, V) of the last position.
  // The default makes the T calls; a GPT runs one batched forward when the state is fresh (position 0).
  virtual void decode_prefill(decode_state& state, const int* tokens, int T, float* logits);
  // With on, the caller promises not to change the parameters until it turns this off again (pluma serve,
  // which only samples): decode_begin then packs the weights a state reads once, for every state it makes,
  // instead of once per state (for a 6x384 GPT in fp32, 43 MB and ~30 ms a state). Off by default, as
  // training changes the parameters between its samples. States made before keep what they have. A model
  // whose states hold no such weights ignores it.
  virtual void share_decoding_weights(bool /*on*/) {}

  // Bytes the model needs for training at (B, T): parameters, gradients, optimizer moments, activations.
  virtual size_t training_bytes(int B, int T) const = 0;

  // trainable: a batch of windows (every target scored) through forward_backward and forward_loss.
  float batch_forward_backward(const train_batch& b, float grad_scale, rng& dropout_rng) final {
    return forward_backward(b.inputs, b.targets, b.B, b.T, grad_scale, dropout_rng);
  }
  loss_total batch_loss(const train_batch& b) final {
    const long n = static_cast<long>(b.B) * b.T;
    return {static_cast<double>(forward_loss(b.inputs, b.targets, b.B, b.T)) * n, n};
  }
};

// The factory for language models: trainable_create, refusing a translator (which is no lm_model).
status model_create(const nlohmann::json& config, std::unique_ptr<lm_model>& out);

}  // namespace pluma
