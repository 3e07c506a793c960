// gpt: the Transformer language model of the GPT-2 shape. Token embedding wte (V, C), tied to the LM head
// (logits = x · wteᵀ, no head bias); learned position embedding wpe (context, C); L pre-LayerNorm blocks
//   x = x + proj(attention(qkv(ln1(x))));  x = x + mlp.proj(gelu(mlp.fc(ln2(x))))
// final LayerNorm. Dropout (config.dropout, training only) on the embedding sum, the attention output
// projection and the MLP output; none on the attention probabilities.
// Parameter names are the PyTorch state_dict names of ../shared/anchors/pytorch/gpt_char.py
// ("wte.weight", "blocks.0.attn.qkv.weight", ..., "ln_f.bias"), so a .pluma file reads naturally in Python.
#pragma once
#include <memory>
#include <vector>

#include "model/core/device_arena.h"
#include "model/decode_weights.h"
#include "model/gpt/gpt_activations.h"
#include "model/gpt/gpt_config.h"
#include "model/model.h"
#include "model/ops/matmul_decode.h"

namespace pluma {

class gpt_model final : public lm_model {
 public:
  explicit gpt_model(const gpt_config& config);   // config must pass gpt_config_validate

  const gpt_config& config() const { return cfg_; }
  model_kind kind() const override { return model_kind::gpt; }
  nlohmann::json config_json() const override { return gpt_config_to_json(cfg_); }
  int vocab_size() const override { return cfg_.vocab_size; }
  int context_length() const override { return cfg_.context; }

  const std::vector<tensor_spec>& param_specs() const override { return specs_; }
  arena& params() override;   // allocated on first use
  arena& grads() override;    // allocated on first use
  // N(0, 0.02) matrices and embeddings, N(0, 0.02/sqrt(2L)) residual projections, zero biases,
  // unit LayerNorm weights; drawn in size-table order from rng(seed).
  void init_params(uint64_t seed) override;

  float forward_backward(const int* inputs, const int* targets, int B, int T, float grad_scale,
                         rng& dropout_rng) override;
  float forward_loss(const int* inputs, const int* targets, int B, int T) override;
  void forward_logits(const int* inputs, int B, int T, float* logits) override;

  std::unique_ptr<decode_state> decode_begin(int B) override;
  void decode_step(decode_state& state, const int* tokens, float* logits) override;
  // Position 0; the KV cache keeps its old entries, which nothing reads until they are written again.
  void decode_rewind(decode_state& state) override;
  // From position 0: one causal forward over the T positions, whose keys and values fill the cache.
  void decode_prefill(decode_state& state, const int* tokens, int T, float* logits) override;
  void share_decoding_weights(bool on) override { packed_.share(on); }

  size_t training_bytes(int B, int T) const override;

  // ---- where the model runs (gpt_device.cpp): the CPU by default; with ctx.dev == device::cuda the
  // parameters, gradients, activations and decoding state live on the GPU and every op runs on ctx.stream.
  // The lm_model entry points keep their host tokens and logits (copied across). params() and grads() stay
  // host arenas, copied explicitly: set_device uploads params(); init_params uploads what it drew; after
  // changing params() on the host call params_to_device(); read results with params_to_host() and
  // grads_to_host(). An error when the GPU is missing or too small.
  status set_device(const exec_context& ctx) override;
  const exec_context& exec() const override { return ctx_; }
  bool on_gpu() const { return ctx_.dev == device::cuda; }
  void params_to_device() override;
  void params_to_host() override;
  void grads_to_device() override;
  void grads_to_host() override;
  void zero_grads() override;          // where the gradients live
  void discard_grads() override;       // on the CPU the next backward writes them (no zeroing pass)
  // On the CPU: a model of the same config reading this one's parameters (this one must outlive it).
  std::unique_ptr<trainable> make_lane() override;
  bool lanes_by_default() const override { return true; }
  float* param_block() override;       // (param count) the parameters where the model runs (host or device)
  float* grad_block() override;        // (param count) their gradients, likewise

 private:
  // Indices into specs_ of one block's parameters; -1 where config.bias is false.
  struct block_index {
    int ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb;
  };
  float* param(int i) { return i < 0 ? nullptr : param_block() + specs_[i].offset; }
  // A weight matrix as the products read it: its bf16 copy when the activations keep bf16 copies (forward
  // rounds every parameter once into params16_ for itself and the backward that follows), else param(i).
  operand weight(int i);
  float* grad(int i) { return i < 0 ? nullptr : grad_block() + specs_[i].offset; }
  int add_spec(const std::string& name, std::vector<int64_t> shape, bool decay);
  void build_size_table();
  // Lays out the activations for (B, T); bf16_copies as in gpt_activations (keeps_bf16_copies() for the
  // forward, false for the packed prefill, which reads fp32 only).
  void ensure_activations(int B, int T, bool training, bool bf16_copies);
  bool keeps_bf16_copies() const;

  // The scripts (gpt.cpp): forward writes logits (B, T, V) (into `logits`, or the activation buffer when
  // nullptr) and, given targets, returns the mean loss; dropout only when dropout_rng is non-null.
  float forward(const int* inputs, const int* targets, int B, int T, rng* dropout_rng, float* logits);
  void backward(const int* inputs, const int* targets, int B, int T, float grad_scale, bool dropout);

  // Decoding (gpt_decode.cpp). decode_blocks runs the state's position through blocks l0 .. L-1 and the head
  // into logits (B, V), from the block input in the state's buffer x; with qkv_done, block l0's keys and
  // values are already in the cache and its queries in the buffer q. prefill_packed is decode_prefill on the
  // CPU: every block over the T positions with the packed weights, except the last block, which only the
  // last position needs past its keys and values.
  void decode_blocks(decode_state& state, int l0, bool qkv_done, float* logits);
  void prefill_packed(decode_state& state, const int* tokens, int T, float* logits);

  gpt_config cfg_;
  std::vector<tensor_spec> specs_;
  int wte_ = -1, wpe_ = -1, lnfw_ = -1, lnfb_ = -1;
  std::vector<block_index> blocks_;
  size_t n_floats_ = 0;   // floats of the parameter arena (size-table total)
  arena params_, grads_;
  gpt_model* lane_of_ = nullptr;   // a lane (make_lane): the model whose parameters this one reads
  gpt_activations acts_;
  gpt_grad_scratch dacts_;
  arena acts_arena_, dacts_arena_;
  decode_weights_cache<decode_matrices> packed_;   // the decoding states' packed matrices (CPU)
  bool grads_discarded_ = false;      // discard_grads was called: the next backward writes the gradients
  std::vector<uint16_t> params16_;   // (n_floats_) bf16 copy of the parameters, when the activations keep copies
  long loss_count_ = 0;   // targets counted by the last forward (the mean's denominator)

  // the GPU side (unused on the CPU)
  exec_context ctx_;                        // cpu_context() or the GPU's stream
  device_arena dparams_, dgrads_;           // (n_floats_) each
  device_arena dacts_dev_, ddacts_dev_;     // the activation and gradient-scratch blocks
  device_buffer dtokens_;                   // (2, B, T) ints: the inputs, then the targets
  // Tokens where the ops read them: the host pointers on the CPU, device copies on the GPU.
  void tokens_for_ops(const int* inputs, const int* targets, long BT, const int** in, const int** tg);
  // At least `need` floats for activations, in host memory or on the GPU, grown as needed.
  float* activation_block(arena& host, device_arena& dev, size_t need);
};

}  // namespace pluma
