// session: everything a training run needs, set up from a train_config, in the order that catches bad input
// before any long work:
//   corpus (a name or a text file, read and checked; or a directory prepared by `pluma prepare` holding
//   train.bin and val.bin, split already) -> tokenizer (a kind trained on the whole corpus file, as the
//   reference builds its character set from the whole text; a tokenizer file; or the resumed checkpoint's) -> token ids split into train / val -> model (created, its training memory weighed against
//   the machine's available memory BEFORE allocating, then initialized or restored) -> samplers, the fixed
//   evaluation batches (seed+1 for train, seed+2 for val) -> the trainer.
// A translator (--model seq2seq) reads its sentence pairs instead, trains its two tokenizers on them (or takes
// the resumed checkpoint's), and plugs its batch source and BLEU evaluator into the same trainer
// (train/seq2seq_session.cpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/shard.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "train/batch_source.h"
#include "train/batches.h"
#include "train/evaluator.h"
#include "train/seq2seq_data.h"
#include "train/train_config.h"
#include "train/trainer.h"

namespace pluma {

struct train_session {
  train_config cfg;                      // as run (a resumed run: the saved settings with the overrides)
  std::string corpus_path;               // the resolved corpus file or prepared directory
  std::unique_ptr<tokenizer> tok;        // a translator's: the target side's
  std::unique_ptr<tokenizer> src_tok;    // a translator's source tokenizer
  std::string tokenizer_origin;          // "trained on the corpus", "file X", "from the checkpoint"
  std::vector<int> train_ids, val_ids;   // a text corpus, encoded
  shard train_shard, val_shard;          // a prepared directory
  token_view train_tokens, val_tokens;
  std::unique_ptr<trainable> model;
  size_t n_params = 0;
  size_t training_bytes = 0;             // the model's estimate at the micro-batch
  std::unique_ptr<batch_sampler> sampler;
  fixed_batches train_eval, val_eval;
  seq2seq_data pairs;                    // a translator's sentence pairs
  std::unique_ptr<batch_source> source;  // a translator's plug-ins (a language model's are the trainer's own)
  std::unique_ptr<evaluator> eval;
  std::unique_ptr<trainer> tr;
  checkpoint resume_ck;                  // read by train_session_read_resume
  bool check_tokenizer = false;          // set by the caller: a resumed run compares cfg.tokenizer with the
                                         // checkpoint's (the option was given on the command line)
  bool resumed = false;
};

// Reads the checkpoint to continue from into s.resume_ck; `saved` <- the settings it was trained with (the
// caller lays the options given on the command line over them, then calls train_session_open).
status train_session_read_resume(const std::string& path, train_session& s, train_config& saved);

// Sets everything up. cfg.resume non-empty: continues from s.resume_ck (read first); the model and tokenizer
// come from it, and with s.check_tokenizer cfg.tokenizer must match the checkpoint's (kind or file: hash and
// vocabulary). Errors say what was wrong and what to do.
status train_session_open(const train_config& cfg, train_session& s);

// The translator's part of train_session_open (train/seq2seq_session.cpp).
status seq2seq_session_open(const train_config& cfg, train_session& s);

// The model's JSON config from the run's options and the tokenizer's vocabulary.
nlohmann::json train_model_config(const train_config& cfg, int vocab_size);

// MemAvailable of /proc/meminfo in bytes; 0 when unknown.
size_t memory_available_bytes();
// Refuses `need` bytes when more than `available` (0 = unknown: accepted), with both sizes and what to change.
status memory_check(size_t need, size_t available, const train_config& cfg);
// "812.3 MiB", "3.10 GiB"
std::string bytes_human(size_t bytes);

}  // namespace pluma
