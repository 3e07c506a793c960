// seq2seq_data: a translator's training data, from a train_config (--model seq2seq):
//   1. the training pairs (two line-aligned files or a TSV) and the validation pairs (given, or the last
//      valid_size pairs held out after a shuffle seeded by the run's seed); pairs with an empty side are skipped
//   2. the source and target tokenizers trained on the training pairs (one joint tokenizer, or one per side),
//      unless a resumed run brings its own
//   3. every pair encoded (" " + text for bpe/unigram: seq2seq_config::space_prefix); training pairs with a
//      side longer than max_len tokens dropped
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/bucket.h"
#include "model/core/status.h"
#include "tokenizer/tokenizer.h"
#include "train/train_config.h"

namespace pluma {

struct seq2seq_data {
  std::vector<encoded_pair> train, valid;
  std::vector<std::string> refs;      // the validation targets as text, BLEU's references
  std::unique_ptr<tokenizer> src_tok, tgt_tok;
  bool space_prefix = false;          // as the model must decode
  std::vector<std::string> summary;   // what was read and trained, a line each, for the CLI to show
};

// Steps 1-3. With src_tok and tgt_tok already set (a resumed run), step 2 is skipped.
status seq2seq_data_open(const train_config& cfg, seq2seq_data& out);

// Whether sentences go through the tokenizers as " " + text: bpe and unigram tokenizers with space_prefix.
bool seq2seq_uses_space_prefix(const train_config& cfg);

}  // namespace pluma
