// batch_source: where the trainer takes its training batches from, whatever the model's kind; its position
// is saved in checkpoints for an exact resume.
//   lm_batch_source: a language model's windows (train/batches.h: random windows or contiguous streams)
//   seq2seq_batch_source (train/seq2seq_plugins.h): a translator's length-bucketed sentence pairs, in epochs
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "model/core/status.h"
#include "model/trainable.h"
#include "train/batches.h"

namespace pluma {

class batch_source {
 public:
  virtual ~batch_source() = default;
  // The next global batch (valid until the next call). Returns true when it does not continue the previous one
  // (a recurrent language model then starts from a zero state).
  virtual bool next(train_batch& out) = 0;
  virtual int max_rows() const = 0;   // rows of every batch (language model) or at most (translator)
  // Every row scores the same number of targets (windows); else rows are weighed by their scored targets.
  virtual bool uniform() const = 0;
  virtual double epochs() const { return 0; }         // fractional epochs done (translator)
  virtual bool epoch_done() const { return false; }   // the last batch taken ended an epoch
  virtual nlohmann::json state() const = 0;
  virtual status restore(const nlohmann::json& state) = 0;
};

class lm_batch_source final : public batch_source {
 public:
  explicit lm_batch_source(batch_sampler& s);
  bool next(train_batch& out) override;
  int max_rows() const override { return s_.batch(); }
  bool uniform() const override { return true; }
  nlohmann::json state() const override { return s_.state(); }
  status restore(const nlohmann::json& state) override { return s_.restore(state); }
  int context() const { return s_.context(); }

 private:
  batch_sampler& s_;
  std::vector<int> inputs_, targets_;   // (B, T)
};

}  // namespace pluma
