// train_config: every option of a training run, typed, with its default. The CLI declares each option once
// against these fields (tools/cmd_train.cpp); presets set a group of them; a checkpoint stores the config so
// a resumed run continues with the same settings.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "model/core/status.h"
#include "model/model.h"
#include "train/batches.h"
#include "train/evaluator.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace pluma {

struct train_config {
  // model
  model_kind model = model_kind::gpt;
  int layers = 4;            // seq2seq: bidirectional encoder layers
  int heads = 4;             // gpt
  int embd = 128;            // gpt: width; lstm: embedding width (0 = hidden); seq2seq: embedding width
  int hidden = 0;            // lstm: state width; seq2seq: encoder width per direction
  int dec_hidden = 512;      // seq2seq: decoder width
  int context = 64;          // gpt: positions (block size); lstm: truncated-BPTT window (--seq-len)
  float dropout = 0.0f;
  bool bias = true;          // gpt: biases in Linear and LayerNorm

  // data and tokenizer
  std::string data = "tinyshakespeare";   // a corpus name or a text file
  std::string tokenizer = "char";         // a kind (char, word, bpe, unigram) or a tokenizer file
  int vocab_size = 0;                     // for a trained tokenizer; 0 = the kind's default
  double val_fraction = 0.1;              // the last part of the corpus, held out
  sampler_kind sampler = sampler_kind::windows;   // lstm default: stream (truncated BPTT)

  // a translator's data (seq2seq): corpus names or paths (tokenizer/corpus_path.h resolves "multi30k/train.en")
  std::string src, tgt;              // line-aligned training files, or
  std::string tsv;                   // one TSV file: source<TAB>target
  std::string valid_src, valid_tgt;  // validation files, or
  std::string valid_tsv;             // a validation TSV; with neither, valid_size pairs are held out
  int valid_size = 1000;
  int max_len = 0;                   // skip training pairs with a side longer than this many tokens (0: keep all)
  bool joint_vocab = true;           // one tokenizer trained on both sides
  bool space_prefix = true;          // bpe/unigram: sentences tokenized as " " + text
  float label_smoothing = 0.1f;
  int bleu_batch = 128;              // sentences per greedy batch at evaluation

  // optimization
  int batch = 12;            // sequences per optimizer step (the global batch)
  int grad_accum = 1;        // micro-batches per step; batch must divide by it
  int iters = 2000;          // seq2seq: 0 = no step limit (--max-time or --max-epochs ends the run)
  int max_epochs = 0;        // seq2seq: 0 = no limit
  lr_schedule schedule{lr_schedule_kind::cosine, 1e-3, 1e-4, 100, 0};   // decay_iters 0: = iters
  optimizer_config optim;
  float grad_clip = 1.0f;    // max global norm; 0 = no clipping
  bool bf16 = false;         // --precision bf16: matmul operands in bfloat16, fp32 accumulation and master weights
  uint64_t seed = 1337;

  // evaluation, logging, checkpoints
  int eval_interval = 250;           // seq2seq: 0 = at the end of every epoch
  keep_best_kind keep_best = keep_best_kind::none;   // seq2seq default: bleu
  int eval_iters = 20;
  int log_interval = 10;             // metrics lines (and plain progress lines) every N iterations
  int checkpoint_interval = 0;       // 0 = at every evaluation
  double max_time_s = 0;             // 0 = no limit
  std::string out = "model.pluma";
  std::string metrics;               // JSON lines file; empty = none
  std::string resume;                // checkpoint to continue from
  int threads = 0;                   // 0 = OpenMP's default
  // Data parallel lanes over the CPU threads (train/lanes.h): 0 = chosen when the trainer is built (one per
  // thread for a model that takes them by default, the GPT, where they fit; else 1), and the count that runs is
  // what a checkpoint saves, so a resumed run computes as the first did; 1 = off.
  int lanes = 0;
  device dev = device::cpu;          // where the model trains; not saved (a checkpoint moves freely)
};

// The defaults of a model kind: train_config{} for a GPT; for an LSTM char-rnn's recipe (2x128, seq-len 50,
// batch 50, Adam lr 2e-3 constant, no weight decay, clip 5, the stream sampler); for a seq2seq translator the
// Multi30k recipe's model and optimization (joint BPE 8000, embeddings 256, 1-layer bi-LSTM 256, decoder 512,
// dropout 0.3, batches of 64 pairs, Adam 1e-3 halved on a validation plateau, clip 1, label smoothing 0.1,
// evaluated every epoch, the best validation BLEU kept). Resets every field.
void train_model_defaults(model_kind kind, train_config& cfg);

// Sets the fields of a named preset: "baby" (the reference CPU GPT recipe), "shakespeare-char" (GPT),
// "char-rnn-small" (the LSTM defaults), "char-rnn" (3x512 LSTM, dropout 0.5, seq-len 100), "multi30k" (the
// seq2seq defaults on multi30k/{train,val}.{en,de}, 40 minutes unless a limit is given) or "tatoeba-en-es"
// (the same on tatoeba-en-es.tsv, 1000 pairs held out).
status train_preset_apply(const std::string& name, train_config& cfg);
const char* train_preset_names();   // "baby, shakespeare-char, char-rnn-small, char-rnn" (for help and messages)

// Rejects nonsense before any work: non-positive sizes, heads not dividing the width, negative rates,
// a batch not divisible by grad_accum, ... The message names the option (e.g. "--batch must be positive").
status train_config_check(const train_config& cfg);

// Parses "90", "90s", "10m", "1.5h" into seconds.
status duration_parse(const std::string& text, double& seconds);

// The settings saved in a checkpoint (everything but the paths and the thread count; lanes as the trainer chose).
nlohmann::json train_config_to_json(const train_config& cfg);
status train_config_from_json(const nlohmann::json& j, train_config& cfg);

}  // namespace pluma
