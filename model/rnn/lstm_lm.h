// lstm_lm: the char-rnn class LSTM language model.
//   Embedding(V, E) -> L stacked LSTM layers (hidden H, gates i, f, g, o) -> Linear(H, V) with bias
//   -> softmax cross-entropy
// Dropout (config.dropout, training only) on each layer's output: between layers and before the head.
// Parameter names are the PyTorch state_dict names of ../shared/anchors/pytorch/lstm_char.py: "emb.weight",
// "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", ..., "head.weight",
// "head.bias" ("head.weight" is absent when config.tie_weights: the head then uses emb.weight).
//
// Truncated BPTT: the model keeps a recurrent state (h, c) for the next training batch. forward_backward
// starts from it when it holds B sequences (else from zeros) and, with config.carry_state, replaces it by
// the batch's final state (detached: no gradient flows across batches); without carry_state every batch
// starts from zeros. The trainer reads and restores it for checkpoints (get_state / set_state) and clears
// it where the stream of batches is not contiguous (reset_state). forward_loss, forward_logits and
// decode_begin start from zeros and leave the training state alone.
#pragma once
#include <array>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "model/decode_weights.h"
#include "model/model.h"
#include "model/ops/lstm.h"
#include "model/rnn/lstm_activations.h"
#include "model/rnn/lstm_config.h"

namespace pluma {

class lstm_lm final : public lm_model {
 public:
  explicit lstm_lm(const lstm_config& config);   // config must pass lstm_config_validate

  const lstm_config& config() const { return cfg_; }
  model_kind kind() const override { return model_kind::lstm; }
  nlohmann::json config_json() const override { return lstm_config_to_json(cfg_); }
  int vocab_size() const override { return cfg_.vocab_size; }
  int context_length() const override { return 0; }   // unbounded

  const std::vector<tensor_spec>& param_specs() const override { return specs_; }
  arena& params() override;   // allocated on first use
  arena& grads() override;    // allocated on first use
  // PyTorch's defaults: emb N(0, 1); LSTM and head weights and biases U(-1/sqrt(H), 1/sqrt(H));
  // drawn in size-table order from rng(seed).
  void init_params(uint64_t seed) override;

  float forward_backward(const int* inputs, const int* targets, int B, int T, float grad_scale,
                         rng& dropout_rng) override;
  float forward_loss(const int* inputs, const int* targets, int B, int T) override;
  void forward_logits(const int* inputs, int B, int T, float* logits) override;

  // Inference from a given state: starts from (h, c) (L, B, H) each (nullptr: zeros), no dropout, writes the
  // logits (B, T, V) when non-null and, when h and c are given, replaces them by the final state. Returns
  // the mean loss when targets are given (else 0). Scores a contiguous stream or consumes a prompt in one call.
  float forward_stateful(const int* inputs, const int* targets, int B, int T, float* logits, float* h,
                         float* c);

  std::unique_ptr<decode_state> decode_begin(int B) override;   // zero state
  void decode_rewind(decode_state& state) override;              // zero state again
  void share_decoding_weights(bool on) override { weights_.share(on); }
  struct packed_weights;   // what a decoding state reads (lstm_lm_decode.cpp)
  void decode_step(decode_state& state, const int* tokens, float* logits) override;

  size_t training_bytes(int B, int T) const override;
  // Without carry_state (random windows): a model of the same config and implementation that reads this one's
  // parameters (this one must outlive it); nullptr with carry_state, whose state runs through every row.
  std::unique_ptr<trainable> make_lane() override;

  // The LSTM layers' implementation over whole sequences (lstm_impl_default unless set); results agree to
  // float rounding.
  lstm_impl impl() const { return impl_; }
  void set_impl(lstm_impl impl);

  // ---- the truncated-BPTT state, h and c: (L, B, H) each
  int state_batch() const { return state_B_; }   // B of the held state; 0 = none (zeros)
  void reset_state();
  void get_state(std::vector<float>& h, std::vector<float>& c) const;
  void set_state(const float* h, const float* c, int B);
  // Gradient of the last forward_backward's grad_scale * loss with respect to its initial state (L, B, H);
  // zeros when it started from zeros.
  const float* initial_state_grad_h() const { return dacts_.dh0; }
  const float* initial_state_grad_c() const { return dacts_.dc0; }

 private:
  struct layer_index {
    int w_ih, w_hh, b_ih, b_hh;
  };
  float* param(int i) { return params().at(specs_[i]); }
  float* grad(int i) { return grads_.at(specs_[i]); }
  int add_spec(const std::string& name, std::vector<int64_t> shape, bool decay);
  void build_size_table();
  void ensure_activations(int B, int T, bool training);
  bool own_kernels() const { return impl_ == lstm_impl::kernels; }
  lstm_primitive& primitive(int l, int B, int T);   // layer l's, built on first use at (B, T)

  // The scripts (lstm_lm.cpp). forward writes the logits (B, T, V) into `logits` when non-null and, given
  // targets, returns the mean loss; it starts from acts_.h0/c0 when from_state, else zeros; dropout only
  // when dropout_rng is non-null.
  float forward(const int* inputs, const int* targets, int B, int T, bool from_state, rng* dropout_rng,
                float* logits);
  void backward(int B, int T, bool from_state, float grad_scale);

  lstm_config cfg_;
  decode_weights_cache<packed_weights> weights_;   // the decoding states' packed weights
  std::vector<tensor_spec> specs_;
  int emb_ = -1, head_w_ = -1, head_b_ = -1;   // head_w_ == emb_ when tied
  std::vector<layer_index> layers_;
  size_t n_floats_ = 0;
  arena params_, grads_;
  lstm_lm* lane_of_ = nullptr;   // a lane (make_lane): the model whose parameters this one reads
  lstm_activations acts_;
  lstm_grad_scratch dacts_;
  arena acts_arena_, dacts_arena_;
  long loss_count_ = 0;
  lstm_impl impl_ = lstm_impl_default;
  std::map<std::array<int, 3>, std::vector<std::unique_ptr<lstm_primitive>>> primitives_;   // (B, T, threads) -> per layer
  std::vector<float> state_h_, state_c_;   // (L, B, H) the carried state
  int state_B_ = 0;
};

}  // namespace pluma
