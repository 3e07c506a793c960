// model: the interface every language model implements (GPT, LSTM LM; the seq2seq decoder reuses the
// decoding part). A model knows neither how it is trained nor how it is sampled.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/core/arena.h"
#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/core/status.h"

namespace pluma {

enum class model_kind { gpt, lstm, seq2seq };
const char* model_kind_name(model_kind k);                         // "gpt", "lstm", "seq2seq"
status model_kind_parse(const std::string& name, model_kind& out);

// Incremental decoding state: a KV cache (GPT) or recurrent state (LSTM), for B sequences.
struct decode_state {
  virtual ~decode_state() = default;
  int batch = 0;
  int position = 0;   // tokens consumed so far
};

class lm_model {
 public:
  virtual ~lm_model() = default;
  virtual model_kind kind() const = 0;
  virtual nlohmann::json config_json() const = 0;                 // enough to rebuild the model
  virtual int vocab_size() const = 0;
  virtual int context_length() const = 0;                          // max positions; 0 = unbounded (LSTM)

  // Parameters and their gradients: one arena each, carved by the size table.
  virtual const std::vector<tensor_spec>& param_specs() const = 0;
  virtual arena& params() = 0;
  virtual arena& grads() = 0;
  virtual void init_params(uint64_t seed) = 0;

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
  // T steps at once, as T decode_step calls would: tokens (B, T); logits (B, V) of the last position.
  // The default makes the T calls; a GPT runs one batched forward when the state is fresh (position 0).
  virtual void decode_prefill(decode_state& state, const int* tokens, int T, float* logits);

  // Bytes the model needs for training at (B, T): parameters, gradients, optimizer moments, activations.
  virtual size_t training_bytes(int B, int T) const = 0;

  // ---- where the model runs. The defaults are the CPU's: the host arenas params() and grads() are where the
  // ops work. A model that can run on a GPU (the GPT) keeps device copies and overrides all of these; params()
  // and grads() then stay the host side, copied explicitly (a checkpoint reads params() after params_to_host()).
  // An error when the model cannot run on ctx's device, or the device is missing or too small.
  virtual status set_device(const exec_context& ctx);
  virtual const exec_context& exec() const { return cpu_context(); }
  virtual float* param_block() { return params().data(); }   // the parameters where the ops read them
  virtual float* grad_block() { return grads().data(); }     // their gradients, likewise
  virtual void zero_grads() { grads().zero(); }
  virtual void params_to_device() {}
  virtual void params_to_host() {}
  virtual void grads_to_device() {}
  virtual void grads_to_host() {}
};

// The factory: builds an (uninitialized) model from config_json().
status model_create(const nlohmann::json& config, std::unique_ptr<lm_model>& out);

}  // namespace pluma
