// evaluator: what the trainer measures at every evaluation, whatever the model's kind.
//   lm_evaluator: a language model's mean loss over fixed train and val batches (drawn once, train/batches.h)
//   seq2seq_evaluator (train/seq2seq_plugins.h): a translator's validation loss and greedy validation BLEU
// Every rank calls evaluate() and gets the same result.
#pragma once
#include <cstdint>
#include <optional>

#include "model/model.h"
#include "train/batches.h"
#include "train/distributed.h"

namespace pluma {

struct eval_result {
  std::optional<float> train_loss;   // language model: over the fixed training batches
  float val_loss = 0;                // the training objective on the validation data
  std::optional<float> val_nll;      // translator: cross-entropy per target token (val_loss is label-smoothed)
  std::optional<double> val_bleu;    // translator: greedy BLEU on the validation pairs
};

// Which evaluation result marks the best parameters, kept in the checkpoint beside the latest.
enum class keep_best_kind { none, val_loss, bleu };
const char* keep_best_kind_name(keep_best_kind k);   // "none", "val_loss", "bleu"
status keep_best_kind_parse(const std::string& name, keep_best_kind& out);

class evaluator {
 public:
  virtual ~evaluator() = default;
  virtual eval_result evaluate(communicator& comm) = 0;
  virtual uint64_t data_hash() const = 0;   // the evaluation data, for the ranks' agreement
};

class lm_evaluator final : public evaluator {
 public:
  // Each rank evaluates its rows of every batch in micro-batches of the training micro-batch (batch/grad_accum
  // over the ranks), each in `lanes` pieces where they divide it: the memory of training (of one lane).
  lm_evaluator(lm_model& m, const fixed_batches& train, const fixed_batches& val, int grad_accum)
      : m_(m), train_(train), val_(val), grad_accum_(grad_accum) {}
  void set_lanes(int lanes) { lanes_ = lanes; }
  eval_result evaluate(communicator& comm) override;
  uint64_t data_hash() const override;

 private:
  float loss(const fixed_batches& fb, communicator& comm);
  lm_model& m_;
  const fixed_batches& train_;
  const fixed_batches& val_;
  int grad_accum_;
  int lanes_ = 1;
};

}  // namespace pluma
