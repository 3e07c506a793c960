// pluma train --model seq2seq: train a translation model on a parallel corpus (train/seq2seq_trainer.h).
#include "tools/cmd_train_seq2seq.h"

#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/command.h"
#include "train/seq2seq_trainer.h"

namespace pluma::cli {
namespace {

// Options override the preset, which overrides the defaults: each is applied only when given.
template <class T>
void take(const cxxopts::ParseResult& a, const char* name, T& field) {
  if (a.count(name)) field = a[name].as<T>();
}

void print_event(const seq2seq_train_event& e) {
  using kind = seq2seq_train_event::kind;
  if (e.event == kind::info) {
    std::printf("%s\n", e.message.c_str());
  } else if (e.event == kind::step) {
    std::printf("step %ld  epoch %.2f  loss %.4f  lr %.3g  %.0f tok/s  train %.0f s\n", e.step, e.epoch, e.loss, e.lr,
                e.tokens_per_s, e.train_time);
  } else {
    std::printf("eval step %ld  epoch %.2f  val_loss %.4f  val_nll %.4f (ppl %.2f)  val BLEU %.2f%s  lr %.3g  "
                "eval %.1f s\n",
                e.step, e.epoch, e.val_loss, e.val_nll, std::exp(double(e.val_nll)), e.val_bleu,
                e.best ? " (best, saved)" : "", e.lr, e.eval_time);
  }
  std::fflush(stdout);
}

}  // namespace

bool train_args_want_seq2seq(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--model=seq2seq") == 0) return true;
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc && std::strcmp(argv[i + 1], "seq2seq") == 0) return true;
  }
  return false;
}

int run_train_seq2seq(int argc, char** argv) {
  cxxopts::Options opts("pluma train --model seq2seq",
                        "Train an LSTM translation model with attention on a parallel corpus; the checkpoint with "
                        "the best validation BLEU is written to --out.");
  seq2seq_train_config d;   // the defaults, for the help text
  // clang-format off
  opts.add_options("data")
      ("model", "Model kind (seq2seq here)", cxxopts::value<std::string>()->default_value("seq2seq"))
      ("preset", "Recipe: multi30k (its data, model and 40 min) or tatoeba-en-es", cxxopts::value<std::string>())
      ("src", "Training source file (one sentence per line)", cxxopts::value<std::string>())
      ("tgt", "Training target file, line-aligned with --src", cxxopts::value<std::string>())
      ("tsv", "Training pairs as one TSV file (source<TAB>target) instead of --src/--tgt", cxxopts::value<std::string>())
      ("valid-src", "Validation source file", cxxopts::value<std::string>())
      ("valid-tgt", "Validation target file", cxxopts::value<std::string>())
      ("valid-tsv", "Validation pairs as a TSV file", cxxopts::value<std::string>())
      ("valid-size", "Pairs held out for validation when none are given", cxxopts::value<int>()->default_value(std::to_string(d.valid_size)))
      ("max-tokens", "Skip training pairs with a side longer than this many tokens (0: keep all)", cxxopts::value<int>()->default_value("0"))
      ("out", "Checkpoint to write (.pluma)", cxxopts::value<std::string>());
  opts.add_options("tokenizer")
      ("tokenizer", "Tokenizer kind: bpe, unigram, char or word", cxxopts::value<std::string>()->default_value("bpe"))
      ("vocab-size", "Vocabulary size of each tokenizer", cxxopts::value<int>()->default_value(std::to_string(d.vocab_size)))
      ("separate-vocab", "One tokenizer per side instead of one joint tokenizer")
      ("no-space-prefix", "Tokenize sentences as they are (by default as \" \" + sentence, so a first word is "
                          "split like any other)");
  opts.add_options("model")
      ("emb", "Embedding width (source and target)", cxxopts::value<int>()->default_value(std::to_string(d.model.emb)))
      ("enc-hidden", "Encoder LSTM width per direction", cxxopts::value<int>()->default_value(std::to_string(d.model.enc_hidden)))
      ("enc-layers", "Bidirectional encoder layers", cxxopts::value<int>()->default_value(std::to_string(d.model.enc_layers)))
      ("dec-hidden", "Decoder LSTM width", cxxopts::value<int>()->default_value(std::to_string(d.model.dec_hidden)))
      ("dropout", "Dropout on embeddings, between encoder layers and on the attentional vector", cxxopts::value<float>()->default_value("0.3"));
  opts.add_options("training")
      ("batch-size", "Sentences per batch (length-bucketed)", cxxopts::value<int>()->default_value(std::to_string(d.batch_size)))
      ("lr", "Adam learning rate", cxxopts::value<float>()->default_value("0.001"))
      ("lr-decay", "Learning-rate factor when the validation loss does not improve (1: constant)", cxxopts::value<float>()->default_value("0.5"))
      ("clip", "Clip the global gradient norm to this (0: no clipping)", cxxopts::value<float>()->default_value("1"))
      ("label-smoothing", "Label smoothing of the cross-entropy", cxxopts::value<float>()->default_value("0.1"))
      ("max-time", "Seconds of training (evaluations excluded); 0: no limit", cxxopts::value<double>()->default_value("0"))
      ("max-epochs", "Epochs; 0: no limit", cxxopts::value<int>()->default_value("0"))
      ("max-steps", "Optimizer steps; 0: no limit", cxxopts::value<long>()->default_value("0"))
      ("eval-every", "Steps between evaluations (0: every epoch)", cxxopts::value<int>()->default_value("0"))
      ("log-every", "Steps between progress lines", cxxopts::value<int>()->default_value(std::to_string(d.log_every)))
      ("seed", "Random seed (initialization, batches, dropout)", cxxopts::value<uint64_t>()->default_value(std::to_string(d.seed)))
      ("threads", "OpenMP threads (0: the default)", cxxopts::value<int>()->default_value("0"));
  // clang-format on
  add_help(opts);
  auto a = parse_or_exit(opts, argc, argv);
  if (!a.unmatched().empty()) usage_error(opts, "unexpected argument '" + a.unmatched()[0] + "'");
  if (a["model"].as<std::string>() != "seq2seq") usage_error(opts, "--model must be seq2seq here");

  seq2seq_train_config cfg;
  if (a.count("preset")) {
    take(a, "src", cfg.src), take(a, "tgt", cfg.tgt), take(a, "tsv", cfg.tsv);
    take(a, "valid-src", cfg.valid_src), take(a, "valid-tgt", cfg.valid_tgt), take(a, "valid-tsv", cfg.valid_tsv);
    take(a, "max-time", cfg.max_time), take(a, "max-epochs", cfg.max_epochs), take(a, "max-steps", cfg.max_steps);
    const status st = seq2seq_train_preset(a["preset"].as<std::string>(), cfg);
    if (!st) usage_error(opts, st.message());
  }
  take(a, "src", cfg.src), take(a, "tgt", cfg.tgt), take(a, "tsv", cfg.tsv);
  take(a, "valid-src", cfg.valid_src), take(a, "valid-tgt", cfg.valid_tgt), take(a, "valid-tsv", cfg.valid_tsv);
  take(a, "valid-size", cfg.valid_size), take(a, "max-tokens", cfg.max_src_tokens), take(a, "out", cfg.out);
  if (a.count("tokenizer")) {
    const status st = tokenizer_kind_parse(a["tokenizer"].as<std::string>(), cfg.tokenizer);
    if (!st) usage_error(opts, st.message());
  }
  take(a, "vocab-size", cfg.vocab_size);
  if (a.count("separate-vocab")) cfg.joint = false;
  if (a.count("no-space-prefix")) cfg.space_prefix = false;
  take(a, "emb", cfg.model.emb), take(a, "enc-hidden", cfg.model.enc_hidden);
  take(a, "enc-layers", cfg.model.enc_layers), take(a, "dec-hidden", cfg.model.dec_hidden);
  take(a, "dropout", cfg.model.dropout);
  take(a, "batch-size", cfg.batch_size), take(a, "lr", cfg.lr), take(a, "lr-decay", cfg.lr_decay);
  take(a, "clip", cfg.grad_clip), take(a, "label-smoothing", cfg.label_smoothing);
  take(a, "max-time", cfg.max_time), take(a, "max-epochs", cfg.max_epochs), take(a, "max-steps", cfg.max_steps);
  take(a, "eval-every", cfg.eval_every), take(a, "log-every", cfg.log_every), take(a, "seed", cfg.seed);
  const status check = seq2seq_train_config_check(cfg);
  if (!check) usage_error(opts, check.message());
  if (a["threads"].as<int>() > 0) omp_set_num_threads(a["threads"].as<int>());

  seq2seq_train_result res;
  const status st = seq2seq_train(cfg, print_event, res);
  if (!st) fail(st.message());
  std::printf("done: %ld steps, %.2f epochs, %.0f s of training (%.0f target tok/s, %d threads), stopped by %s; "
              "best val BLEU %.2f at step %ld, saved to %s\n",
              res.steps, res.epochs, res.train_time, res.tokens_per_s, omp_get_max_threads(), res.stop_reason.c_str(),
              res.best_bleu, res.best_step, cfg.out.c_str());
  return 0;
}

}  // namespace pluma::cli

