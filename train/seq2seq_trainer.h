// seq2seq_trainer: trains a translation model (model/rnn/seq2seq.h) from a parallel corpus.
//   1. read the training pairs (two line-aligned files or a TSV) and the validation pairs (given, or the
//      last valid_size pairs held out after a seeded shuffle); pairs with an empty side are skipped
//   2. train the source and target tokenizers on the training pairs (one joint tokenizer, or one per side)
//   3. length-bucketed batches (data/bucket.h); teacher forcing; label-smoothed cross-entropy; Adam;
//      clipping by the global gradient norm
//   4. evaluate every epoch (or every eval_every steps): validation loss and greedy validation BLEU; the lr is
//      multiplied by lr_decay when the smoothed validation loss did not improve (patience 0); the checkpoint
//      with the best validation BLEU is written to `out` (model/rnn/seq2seq_io.h)
//   5. stop at max_time seconds of training (evaluation excluded; checked before each step, and the partial
//      epoch is evaluated), at max_epochs, or at max_steps
// The trainer never prints: it reports through the callback.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "model/core/status.h"
#include "model/rnn/seq2seq.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

struct seq2seq_train_config {
  // data: corpus names or paths (tokenizer/corpus_path.h resolves names such as "multi30k/train.en")
  std::string src, tgt;              // line-aligned training files, or
  std::string tsv;                   // one TSV file: source<TAB>target
  std::string valid_src, valid_tgt;  // validation files, or
  std::string valid_tsv;             // a validation TSV; with neither, valid_size pairs are held out
  int valid_size = 1000;
  int max_src_tokens = 0;            // skip training pairs with a longer source or target (0: keep all)
  // tokenizers
  tokenizer_kind tokenizer = tokenizer_kind::bpe;
  int vocab_size = 8000;             // per tokenizer
  bool joint = true;                 // one tokenizer trained on both sides
  bool space_prefix = true;          // bpe/unigram: sentences tokenized as " " + text (seq2seq_config::space_prefix)
  // model: sizes and dropout (the vocabulary sizes come from the tokenizers)
  seq2seq_config model;
  // optimization
  int batch_size = 64;               // sentences per batch
  float lr = 1e-3f;
  float lr_decay = 0.5f;             // on a validation-loss plateau; 1: constant
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float grad_clip = 1.0f;            // global norm; 0: none
  float label_smoothing = 0.1f;
  double max_time = 0;               // seconds of training; 0: no limit
  int max_epochs = 0;                // 0: no limit
  long max_steps = 0;                // 0: no limit
  int eval_every = 0;                // steps between evaluations; 0: every epoch
  int bleu_batch = 128;              // sentences per greedy batch at evaluation
  int log_every = 100;               // steps between progress reports
  uint64_t seed = 1234;
  std::string out;                   // checkpoint path (required)
};

// Named recipes. "multi30k": the reference recipe for Multi30k en->de on this machine (data
// multi30k/{train,val}.{en,de}, joint BPE 8000, embeddings 256, 1-layer bi-LSTM 256, decoder 512, dropout
// 0.3, batches of 64, Adam 1e-3 halved on plateau, clip 1, label smoothing 0.1, 40 minutes);
// "tatoeba-en-es": the same model on tatoeba-en-es.tsv with 1000 pairs held out.
// Fields the preset does not name keep their values.
status seq2seq_train_preset(const std::string& name, seq2seq_train_config& cfg);
// The options alone (no files read): data given one way, sizes positive, rates in range, out set.
status seq2seq_train_config_check(const seq2seq_train_config& cfg);

struct seq2seq_train_event {
  enum class kind { info, step, eval };
  kind event = kind::info;
  std::string message;        // info: data, tokenizer and model summaries
  long step = 0;              // optimizer steps so far
  double epoch = 0;           // epochs so far (fractional)
  float loss = 0;             // step: mean smoothed loss since the last report
  double lr = 0;
  double tokens_per_s = 0;    // target tokens per second of training (since the last report)
  double train_time = 0;      // seconds of training so far (evaluations excluded)
  float val_nll = 0;          // eval: cross-entropy per target token
  float val_loss = 0;         // eval: label-smoothed
  double val_bleu = 0;        // eval: greedy BLEU on the validation set
  bool best = false;          // eval: the best BLEU so far (the checkpoint was written)
  double eval_time = 0;       // eval: seconds it took
};
using seq2seq_train_callback = std::function<void(const seq2seq_train_event&)>;

struct seq2seq_train_result {
  long steps = 0;
  double epochs = 0;
  double train_time = 0;
  double tokens_per_s = 0;    // over the whole run
  double best_bleu = 0;
  long best_step = 0;
  std::string stop_reason;    // "max_time", "max_epochs", "max_steps"
};

status seq2seq_train(const seq2seq_train_config& cfg, const seq2seq_train_callback& cb, seq2seq_train_result& out);

}  // namespace pluma
