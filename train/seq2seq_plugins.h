// seq2seq_plugins: what a translator plugs into the trainer (train/trainer.h).
//   seq2seq_batch_source: length-bucketed, padded batches of sentence pairs (data/bucket.h), epoch after epoch;
//                         its position {epoch, batch} resumes exactly
//   seq2seq_evaluator:    the label-smoothed loss and cross-entropy over every validation pair (batched as in
//                         training, the same plan every time) and the greedy BLEU of the validation sources
//                         against the raw references
#pragma once
#include <string>
#include <vector>

#include "data/bucket.h"
#include "model/rnn/seq2seq.h"
#include "tokenizer/tokenizer.h"
#include "train/batch_source.h"
#include "train/evaluator.h"

namespace pluma {

class seq2seq_batch_source final : public batch_source {
 public:
  // `pairs` must outlive the source.
  static status create(const std::vector<encoded_pair>& pairs, int max_rows, uint64_t seed,
                       std::unique_ptr<seq2seq_batch_source>& out);
  bool next(train_batch& out) override;   // never a fresh stream: a translator carries no state across batches
  int max_rows() const override { return max_rows_; }
  bool uniform() const override { return false; }
  double epochs() const override;
  bool epoch_done() const override;
  nlohmann::json state() const override;
  status restore(const nlohmann::json& state) override;

 private:
  void note_epoch_size();   // n_in_epoch_ <- batches of the current epoch
  bucket_batcher b_;
  seq2seq_batch cur_;
  int max_rows_ = 0;
  size_t n_in_epoch_ = 1;
};

class seq2seq_evaluator final : public evaluator {
 public:
  // Everything given must outlive the evaluator.
  static status create(seq2seq_model& m, const std::vector<encoded_pair>& valid, const std::vector<std::string>& refs,
                       const tokenizer& tgt_tok, int batch, int bleu_batch, uint64_t seed,
                       std::unique_ptr<seq2seq_evaluator>& out);
  // Every rank evaluates everything (the same parameters give the same result).
  eval_result evaluate(communicator& comm) override;
  uint64_t data_hash() const override;

 private:
  seq2seq_evaluator(seq2seq_model& m, const std::vector<encoded_pair>& valid, const std::vector<std::string>& refs,
                    const tokenizer& tgt_tok, int bleu_batch)
      : m_(m), valid_(valid), refs_(refs), tgt_tok_(tgt_tok), bleu_batch_(bleu_batch) {}
  seq2seq_model& m_;
  const std::vector<encoded_pair>& valid_;
  const std::vector<std::string>& refs_;
  const tokenizer& tgt_tok_;
  int bleu_batch_;
  bucket_batcher batches_;
};

}  // namespace pluma
