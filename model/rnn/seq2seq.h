// seq2seq: an LSTM encoder-decoder with Luong attention and input feeding, for translation.
//   encoder: source embedding (Vs, E) -> dropout -> enc_layers bidirectional LSTM layers (He per direction,
//            dropout between layers); padding never enters a recurrence (the reverse direction runs over
//            each row reversed within its own length; final states are taken at each row's last token)
//   bridge:  h0 = tanh(W_h [h_fw; h_bw] + b_h), c0 = W_c [c_fw; c_bw] + b_c   (last layer's final states)
//   decoder: one LSTM cell (E + Hd -> Hd) fed [target embedding (dropout); previous attentional vector];
//            Luong "general" attention score h_tᵀ W_a h_s over the encoder outputs, padding masked;
//            attentional vector a_t = dropout(tanh(W_o [context; h_t])) (no bias), fed back next step;
//            logits = a_t · projᵀ + b (untied from the embeddings)
// Parameter names are the PyTorch state_dict names of the reference model
// (../shared/anchors/pytorch/seq2seq_multi30k.py): "src_emb.weight", "encoder.weight_ih_l0_reverse",
// "bridge_h.weight", "dec_cell.weight_ih", "attn_W.weight", "attn_out.weight", "proj.bias", ...
// Inside, the encoder is time-major and the decoder packed: rows reordered by target length, and each step
// computes only the rows still inside their target (seq2seq_workspace.h), so padding costs nothing.
#pragma once
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/core/arena.h"
#include "model/core/rng.h"
#include "model/core/status.h"
#include "model/trainable.h"

namespace pluma {

struct seq2seq_config {
  int src_vocab_size = 0;   // Vs: the source tokenizer's vocabulary
  int vocab_size = 0;       // V: the target tokenizer's vocabulary
  int emb = 256;            // E: source and target embedding width (separate tables)
  int enc_hidden = 256;     // He: encoder LSTM width per direction (encoder outputs are D = 2 He wide)
  int enc_layers = 1;       // bidirectional layers
  int dec_hidden = 512;     // Hd: decoder LSTM and attentional vector width
  float dropout = 0.3f;     // on embeddings, between encoder layers, on the attentional vector
  // Sentences go through the tokenizers as " " + text (decoding drops that space), so that a sentence's first
  // word gets the same pieces as anywhere else (pluma's SentencePiece models add no dummy prefix themselves).
  bool space_prefix = false;
};

// {"kind": "seq2seq", "src_vocab_size", "vocab_size", "emb", "enc_hidden", "enc_layers", "dec_hidden", "dropout",
//  "space_prefix"} ("space_prefix" may be absent: false)
nlohmann::json seq2seq_config_to_json(const seq2seq_config& cfg);
// Errors name the missing or bad field. Checkpoints written before "kind" name it "model": read alike.
status seq2seq_config_from_json(const nlohmann::json& j, seq2seq_config& out);
// Sizes positive (vocabularies > 4, the special ids), dropout in [0, 1).
status seq2seq_config_validate(const seq2seq_config& cfg);

// One padded training or evaluation batch, batch-major as data/bucket.h builds it.
struct seq2seq_inputs {
  int B = 0, S = 0, T = 0;
  const int* src = nullptr;       // (B, S) source ids, pad_id after src_len[b]
  const int* src_len = nullptr;   // (B), each in [1, S]
  const int* tgt_in = nullptr;    // (B, T) sos_id, target ids, pad_id
  const int* tgt_out = nullptr;   // (B, T) target ids, eos_id, pad_id (padding is not scored)
};

// Sums over the scored target tokens of a batch.
struct seq2seq_loss {
  double nll = 0;        // cross-entropy
  double smoothed = 0;   // label-smoothed cross-entropy (the training objective)
  long tokens = 0;
};

// Incremental decoding of R rows = sentences x beams over their encoded sources (see seq2seq_model).
struct seq2seq_decoder_state {
  int R = 0;                 // rows
  int S = 0;                 // source positions (the longest source)
  int beams = 1;             // rows per sentence: row r decodes sentence r / beams
  std::vector<int> src_len;  // (R)
  std::vector<float> keys;   // (R, S, Hd) W_a · encoder outputs
  std::vector<float> values; // (R, S, D) encoder outputs
  std::vector<float> h, c;   // (R, Hd) decoder LSTM state
  std::vector<float> feed;   // (R, Hd) the previous attentional vector
  // scratch of a step
  std::vector<float> emb, x, ctx, cat, pre, probs, gather, lstm_scratch;
};

struct seq2seq_workspace;   // training activations (seq2seq.cpp)

class seq2seq_model final : public trainable {
 public:
  explicit seq2seq_model(const seq2seq_config& cfg);   // cfg must pass seq2seq_config_validate
  ~seq2seq_model();
  seq2seq_model(const seq2seq_model&) = delete;
  seq2seq_model& operator=(const seq2seq_model&) = delete;

  const seq2seq_config& config() const { return cfg_; }
  model_kind kind() const override { return model_kind::seq2seq; }
  nlohmann::json config_json() const override { return seq2seq_config_to_json(cfg_); }
  const std::vector<tensor_spec>& param_specs() const override { return specs_; }
  // Allocated on first use, as the language models' are, so that loading a checkpoint checks its tensors
  // before the model's size is allocated.
  arena& params() override { return allocated_params(); }
  const arena& params() const { return allocated_params(); }
  arena& grads() override;        // allocated on first use
  size_t num_params() const { return n_floats_total_; }
  // PyTorch's default initialization: embeddings N(0, 1) with the <pad> row zero; LSTM tensors
  // U(-1/sqrt(H), 1/sqrt(H)); Linear weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Size-table order.
  void init_params(uint64_t seed) override;

  // Teacher-forced training step: returns the mean label-smoothed cross-entropy over the scored target
  // tokens and ADDS the gradients of grad_scale * that mean into grads(). Dropout draws from dropout_rng.
  float forward_backward(const seq2seq_inputs& in, float label_smoothing, float grad_scale, rng& dropout_rng);
  // Evaluation (no dropout, no gradients): loss sums of the batch.
  seq2seq_loss forward_loss(const seq2seq_inputs& in, float label_smoothing);
  // trainable: forward_backward and forward_loss (its label-smoothed sum) with the label smoothing set here
  // (a training setting, not part of the model; 0 until set).
  void set_label_smoothing(float ls) { label_smoothing_ = ls; }
  float label_smoothing() const { return lane_of_ ? lane_of_->label_smoothing_ : label_smoothing_; }
  float batch_forward_backward(const train_batch& b, float grad_scale, rng& dropout_rng) override;
  loss_total batch_loss(const train_batch& b) override;
  // A model of the same config that reads this one's parameters and label smoothing (this one must outlive it).
  std::unique_ptr<trainable> make_lane() override;
  // Evaluation logits (no dropout). logits: (B, T, V)
  void forward_logits(const seq2seq_inputs& in, float* logits);

  // Decoding. Encodes the sources (each row of `src` (B, S) with src_len[b] in [1, S]) without dropout and
  // starts `beams` decoder rows per sentence (row r = b * beams + k) from the bridge state.
  void decode_begin(const int* src, const int* src_len, int B, int S, int beams, seq2seq_decoder_state& st);
  // One step of every row: tokens (R) are the previous outputs (sos_id first); logits: (R, V);
  // attention: (R, S) the step's attention weights, or nullptr.
  void decode_step(seq2seq_decoder_state& st, const int* tokens, float* logits, float* attention);
  // Beam reordering: row r continues from row rows[r] (R). Rows must stay within their sentence
  // (rows[r] / beams == r / beams), since the encoded source is not moved.
  void decode_select(seq2seq_decoder_state& st, const int* rows);
  // Keeps only the sentences in the slots `sentences` (ascending slot indices, slot s = rows s*beams ..
  // s*beams + beams-1), in that order, and drops the rest: finished sentences stop costing steps.
  void decode_keep(seq2seq_decoder_state& st, const std::vector<int>& sentences);

 private:
  struct lstm_index { int w_ih, w_hh, b_ih, b_hh; };
  int add_spec(const std::string& name, std::vector<int64_t> shape, bool decay);
  float* param(int i) { return params().at(specs_[i]); }
  arena& allocated_params() const {
    if (lane_of_) return lane_of_->allocated_params();
    if (params_.size() != n_floats_) params_.resize(n_floats_);
    return params_;
  }
  float* grad(int i) { return grads_.at(specs_[i]); }
  // The scripts (seq2seq_train.cpp). forward returns the loss sums (when in.tgt_out is given) and leaves the
  // logits (T, B, V) in the workspace. With dropout_rng it is a training forward: dropout (p may be 0) and
  // everything backward needs is kept; without, an evaluation forward.
  seq2seq_loss forward(const seq2seq_inputs& in, float label_smoothing, rng* dropout_rng);
  void backward(const seq2seq_inputs& in, float label_smoothing, float grad_scale);
  // Encodes w.src_tm (S, B) with lengths w.src_len: layer outputs, keys, decoder initial state.
  void encoder_forward(seq2seq_workspace& w, rng* dropout_rng);
  void encoder_backward(seq2seq_workspace& w);

  seq2seq_config cfg_;
  std::vector<tensor_spec> specs_;
  int src_emb_ = -1, tgt_emb_ = -1, bridge_hw_ = -1, bridge_hb_ = -1, bridge_cw_ = -1, bridge_cb_ = -1;
  int attn_w_ = -1, attn_out_ = -1, proj_w_ = -1, proj_b_ = -1;
  std::vector<lstm_index> enc_fw_, enc_bw_;   // per layer
  lstm_index dec_{};
  size_t n_floats_ = 0;         // arena floats (with alignment)
  size_t n_floats_total_ = 0;   // parameters
  mutable arena params_;
  arena grads_;
  std::unique_ptr<seq2seq_workspace> ws_;
  float label_smoothing_ = 0.0f;
  const seq2seq_model* lane_of_ = nullptr;   // a lane (make_lane): the model whose parameters this one reads
};

}  // namespace pluma
