// trainable: what the trainer (train/trainer.h) needs of a model, whatever its kind: the parameters and their
// gradients (one arena each, carved by the size table), a forward+backward and a loss on one batch, and where
// the model runs. The language models (model.h: gpt, lstm) and the translator (rnn/seq2seq.h) implement it.
#pragma once
#include <cstdint>
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

// One batch of either kind. A language model's rows are windows of T tokens, every target scored; a
// translator's rows are padded sentence pairs, row b scoring its first tgt_len[b] targets.
struct train_batch {
  int B = 0;                      // rows
  int T = 0;                      // target positions of every row (a translator's: padded)
  const int* inputs = nullptr;    // (B, T) input tokens (a translator: the decoder's, <sos> first)
  const int* targets = nullptr;   // (B, T) the tokens to predict (a translator: then <eos>, padding)
  int S = 0;                      // translator: source positions (padded)
  const int* src = nullptr;       // translator: (B, S) source ids
  const int* src_len = nullptr;   // translator: (B) each in [1, S]
  const int* tgt_len = nullptr;   // translator: (B) scored targets of each row; nullptr: every row scores T

  // Rows [first, first + count) of this batch (pointers into it).
  train_batch rows(int first, int count) const;
  // Scored targets in rows [first, first + count).
  long scored(int first, int count) const;
};

// A loss summed over scored targets, and their count.
struct loss_total {
  double sum = 0;
  long count = 0;
};

class trainable {
 public:
  virtual ~trainable() = default;
  virtual model_kind kind() const = 0;
  virtual nlohmann::json config_json() const = 0;                  // enough to rebuild the model ("kind" first)

  virtual const std::vector<tensor_spec>& param_specs() const = 0;
  virtual arena& params() = 0;
  virtual arena& grads() = 0;
  virtual void init_params(uint64_t seed) = 0;

  // Training: the mean loss over the batch's scored targets; the gradients of (grad_scale * that mean) are
  // ADDED into the gradients. Dropout draws from dropout_rng.
  virtual float batch_forward_backward(const train_batch& b, float grad_scale, rng& dropout_rng) = 0;
  // Evaluation (no dropout, no gradients): the training objective summed over the scored targets.
  virtual loss_total batch_loss(const train_batch& b) = 0;

  // ---- where the model runs. The defaults are the CPU's: the host arenas params() and grads() are where the
  // ops work. A model that can run on a GPU (the GPT) keeps device copies and overrides all of these; params()
  // and grads() then stay the host side, copied explicitly (a checkpoint reads params() after params_to_host()).
  // An error when the model cannot run on ctx's device, or the device is missing or too small.
  virtual status set_device(const exec_context& ctx);
  virtual const exec_context& exec() const { return cpu_context(); }
  virtual float* param_block() { return params().data(); }   // the parameters where the ops read them
  virtual float* grad_block() { return grads().data(); }     // their gradients, likewise
  virtual void zero_grads() { grads().zero(); }
  // As zero_grads, for a step's first micro-batch: the gradients of the next batch_forward_backward are
  // WRITTEN over grads() rather than added into it, and until then grads() holds stale values (the padding
  // between tensors stays zero). A model whose backward can write its gradients (the GPT on the CPU) skips
  // zero_grads' pass over them; the default zeroes.
  virtual void discard_grads() { zero_grads(); }
  // Data parallel lanes (train/lanes.h): a second model of this shape, for another thread, that reads this
  // model's parameters (params(), param_block()) and has gradients, activations and scratch of its own;
  // nullptr when the model cannot have lanes (the default), not where it runs now (a GPU), or not with rows
  // that carry state from batch to batch (an LSTM on streams).
  virtual std::unique_ptr<trainable> make_lane() { return nullptr; }
  // Whether the trainer gives the model a lane per thread unless told otherwise (--lanes 0): where lanes
  // measured faster (the GPT); an LSTM's and a translator's steps are mostly large products, which split well
  // over the threads, and take lanes when asked (docs/BENCHMARKS.md, seventh round).
  virtual bool lanes_by_default() const { return false; }
  virtual void params_to_device() {}
  virtual void params_to_host() {}
  virtual void grads_to_device() {}
  virtual void grads_to_host() {}
};

// The factory: builds an (uninitialized) model of any kind from its config_json(), by its "kind".
status trainable_create(const nlohmann::json& config, std::unique_ptr<trainable>& out);

}  // namespace pluma
