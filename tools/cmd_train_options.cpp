// pluma train's options: see cmd_train_options.h.
#include "tools/cmd_train_options.h"

#include <cstdio>
#include <cstring>
#include <map>

#include "train/text_format.h"

namespace pluma::cli {

void declare_train_options(option_table& t, train_config& c, std::string& preset) {
  const std::string M = "Model", D = "Data", S = "Translation (--model seq2seq)", O = "Optimization", R = "Run";
  t.add_text(M, "model", "Model kind: gpt, lstm or seq2seq. An lstm starts from char-rnn's defaults (2x128, seq-len 50, "
                         "batch 50, adam, constant lr 2e-3, no weight decay, clip 5, stream sampler, 5000 it), a seq2seq "
                         "translator from the multi30k recipe's (joint bpe 8000, embd 256, 1 bi-LSTM layer of hidden 256, "
                         "dec-hidden 512, dropout 0.3, batch 64 pairs, adam 1e-3 halved on a plateau, clip 1, seed 1234, "
                         "evaluated every epoch, best val BLEU kept), not the gpt's shown here",
             model_kind_name(c.model),
             [&c](const std::string& s) { return model_kind_parse(s, c.model); });
  t.add_text(M, "preset", "A recipe: baby (gpt 4x4x128, context 64, 2000 it), shakespeare-char (gpt 6x6x384, context "
                          "256, dropout 0.2, 5000 it), char-rnn-small (lstm 2x128, the lstm defaults) or char-rnn "
                          "(lstm 3x512, dropout 0.5, seq-len 100, batch 50), multi30k (seq2seq en->de on multi30k/, 40m) or "
                          "tatoeba-en-es (seq2seq on tatoeba-en-es.tsv, 40m); options given beside it override it",
             "", [&preset](const std::string& s) {
               preset = s;
               return status::ok();
             });
  t.add(M, "layers", "Transformer blocks / LSTM layers / seq2seq: bidirectional encoder layers", c.layers);
  t.add(M, "heads", "Attention heads (gpt; must divide --embd)", c.heads);
  t.add(M, "embd", "Width (gpt); embedding width (lstm: 0 = --hidden; seq2seq: source and target)", c.embd);
  t.add(M, "hidden", "LSTM state width (seq2seq: the encoder's, per direction)", c.hidden);
  t.add(M, "dec-hidden", "Decoder LSTM width (seq2seq)", c.dec_hidden);
  t.add(M, "context", "Tokens per training window (gpt: also the model's positions)", c.context);
  t.add(M, "seq-len", "Same as --context (the truncated-BPTT length of an LSTM)", c.context);
  t.add(M, "dropout", "Dropout probability during training", c.dropout);
  t.add_flag(M, "no-bias", "No biases in Linear and LayerNorm layers (gpt)", [&c] { c.bias = false; });
  t.add(D, "data", "Corpus: a name (tinyshakespeare, quijote, ...), a text file, or a directory from pluma prepare",
        c.data);
  t.add(D, "tokenizer", "Tokenizer kind trained on the corpus (char, word, bpe, unigram) or a tokenizer file",
        c.tokenizer);
  t.add(D, "vocab-size", "Vocabulary size of a trained tokenizer (0 = the kind's default)", c.vocab_size);
  t.add_text(D, "sampler", "Training batches: windows (random windows; an lstm starts each from a zero state) or "
                          "stream (contiguous streams, truncated BPTT: an lstm carries its state from batch to batch; "
                          "the lstm default)",
             sampler_kind_name(c.sampler), [&c](const std::string& s) { return sampler_kind_parse(s, c.sampler); });
  t.add(D, "val-fraction", "Fraction of a text corpus (its end) held out for validation (a prepared directory has its split)", c.val_fraction);
  t.add(S, "src", "Training source file, one sentence per line (a name such as multi30k/train.en, or a path)", c.src);
  t.add(S, "tgt", "Training target file, line-aligned with --src", c.tgt);
  t.add(S, "tsv", "Training pairs as one TSV file (source<TAB>target) instead of --src/--tgt", c.tsv);
  t.add(S, "valid-src", "Validation source file", c.valid_src);
  t.add(S, "valid-tgt", "Validation target file", c.valid_tgt);
  t.add(S, "valid-tsv", "Validation pairs as a TSV file", c.valid_tsv);
  t.add(S, "valid-size", "Pairs held out for validation when none are given", c.valid_size);
  t.add(S, "max-tokens", "Skip training pairs with a side longer than this many tokens (0 = keep all)", c.max_len);
  t.add_flag(S, "separate-vocab", "One tokenizer per side instead of one joint tokenizer", [&c] { c.joint_vocab = false; });
  t.add_flag(S, "no-space-prefix", "Tokenize sentences as they are (by default bpe/unigram see \" \" + sentence, so a "
                                   "first word is split like any other)", [&c] { c.space_prefix = false; });
  t.add(S, "label-smoothing", "Label smoothing of the training cross-entropy", c.label_smoothing);
  t.add(S, "bleu-batch", "Sentences per greedy-decoding batch of the validation BLEU", c.bleu_batch);
  t.add(O, "batch", "Sequences per optimizer step (seq2seq: sentence pairs at most, length-bucketed)", c.batch);
  t.add(O, "grad-accum", "Micro-batches per step (batch/grad-accum sequences each; same step, less memory)",
        c.grad_accum);
  t.add(O, "iters", "Optimizer steps in total (a resumed run continues up to this; seq2seq: 0 = no limit)", c.iters);
  t.add(O, "lr", "Peak learning rate", c.schedule.lr_max);
  t.add(O, "lr-min", "Learning rate at the end of the cosine decay", c.schedule.lr_min);
  t.add(O, "warmup", "Linear warmup iterations", c.schedule.warmup_iters);
  t.add(O, "lr-decay-iters", "Iteration where the cosine reaches --lr-min (0 = --iters)", c.schedule.decay_iters);
  t.add_text(O, "lr-schedule", "cosine, constant or plateau (after the warmup; plateau: --lr times --lr-decay after every evaluation "
                               "whose val loss is no better)", lr_schedule_kind_name(c.schedule.kind),
             [&c](const std::string& s) { return lr_schedule_kind_parse(s, c.schedule.kind); });
  t.add(O, "lr-decay", "Plateau schedule: the learning rate's factor when the val loss did not improve",
        c.schedule.plateau_factor);
  t.add_text(O, "optimizer", "adamw (decoupled weight decay) or adam (L2 weight decay)",
             optimizer_kind_name(c.optim.kind),
             [&c](const std::string& s) { return optimizer_kind_parse(s, c.optim.kind); });
  t.add(O, "beta1", "Adam beta1", c.optim.beta1);
  t.add(O, "beta2", "Adam beta2", c.optim.beta2);
  t.add(O, "eps", "Adam epsilon", c.optim.eps);
  t.add(O, "weight-decay", "Weight decay on matrices and embeddings", c.optim.weight_decay);
  t.add(O, "grad-clip", "Clip the global gradient norm to this (0 = no clipping)", c.grad_clip);
  t.add(O, "seed", "Seed of the initialization, batches and dropout", c.seed);
  t.add_text(O, "precision", "Matmul products: fp32, or bf16 (operands rounded to bfloat16, fp32 accumulation; "
                             "an LSTM's layers run oneDNN's bf16 LSTM; weights, gradients and optimizer stay fp32)",
             "fp32", [&c](const std::string& s) {
               if (s != "fp32" && s != "bf16") return status::error("expected fp32 or bf16 (got '" + s + "')");
               c.bf16 = s == "bf16";
               return status::ok();
             });
  t.add(R, "eval-interval", "Evaluate every N iterations (and at the start and the end; seq2seq: 0 = after every "
                             "epoch, and no evaluation at the start)", c.eval_interval);
  t.add_text(R, "keep-best", "Keep the parameters with the best evaluation (of those on schedule after iteration 0, "
                             "and the one at the end) as the checkpoint's model (the latest ride beside them, for "
                             "--resume): none, val_loss or bleu (seq2seq default)",
             keep_best_kind_name(c.keep_best), [&c](const std::string& s) { return keep_best_kind_parse(s, c.keep_best); });
  t.add(R, "max-epochs", "Stop after this many passes over the training pairs (seq2seq; 0 = no limit)", c.max_epochs);
  t.add(R, "eval-iters", "Fixed batches per evaluation, for train and for val (random windows, drawn once; an lstm "
                         "starts each from a zero state)", c.eval_iters);
  t.add(R, "log-interval", "Metrics line (and, when not on a terminal, a progress line) every N iterations",
        c.log_interval);
  t.add(R, "checkpoint-interval", "Save every N iterations (0 = at every evaluation) and at the end",
        c.checkpoint_interval);
  t.add_text(R, "max-time", "Stop cleanly and save after this long, e.g. 90s, 10m, 1.5h (0 = no limit)", "0",
             [&c](const std::string& s) { return duration_parse(s, c.max_time_s); });
  t.add(R, "out", "Checkpoint file to write (a resumed run: the checkpoint it resumed from)", c.out);
  t.add(R, "metrics", "JSON-lines metrics log (iter, loss, train_loss, val_loss, val_bleu, lr, tokens_per_s)", c.metrics);
  t.add(R, "resume", "Continue from this checkpoint, exactly where it stopped", c.resume);
  t.add(R, "threads", "OpenMP threads (0 = the default)", c.threads);
  t.add(R, "lanes", "gpt (on the CPU), seq2seq and lstm on random windows: split every micro-batch's rows into N "
                    "lanes, each through the model on a thread of its own, gradients summed once a step (0 = one "
                    "per thread for a gpt where they fit, else 1 = off; the results depend on N, which a "
                    "checkpoint keeps)", c.lanes);
  t.add_text(R, "device", "cpu or cuda (gpt only: parameters, gradients, optimizer moments and activations on the GPU; "
                          "checkpoints are the same files either way)",
             "cpu", [&c](const std::string& s) {
               if (s == "cpu") c.dev = device::cpu;
               else if (s == "cuda") c.dev = device::cuda;
               else return status::error("expected cpu or cuda (got '" + s + "')");
               return status::ok();
             });
}

status check_model_options(const std::set<std::string>& given, model_kind kind) {
  static const std::vector<std::string> gpt_only = {"heads", "no-bias"}, lm_only = {"context", "seq-len", "sampler",
      "data", "val-fraction", "eval-iters"};
  static const std::vector<std::string> seq2seq_only = {"dec-hidden", "src", "tgt", "tsv", "valid-src", "valid-tgt",
      "valid-tsv", "valid-size", "max-tokens", "separate-vocab", "no-space-prefix", "label-smoothing", "bleu-batch",
      "max-epochs"};
  const char* a_kind = kind == model_kind::gpt ? "a gpt" : kind == model_kind::lstm ? "an lstm" : "a seq2seq";
  auto refuse = [&](const std::vector<std::string>& names, const std::string& for_what) -> status {
    for (const auto& name : names)
      if (given.count(name))
        return status::error("--" + name + " applies to " + for_what + " only; leave it out for " + a_kind);
    return status::ok();
  };
  if (kind != model_kind::gpt) PLUMA_TRY(refuse(gpt_only, "--model gpt"));
  if (kind == model_kind::gpt) PLUMA_TRY(refuse({"hidden"}, "--model lstm and seq2seq"));
  if (kind == model_kind::seq2seq) return refuse(lm_only, "the language models (--model gpt or lstm)");
  return refuse(seq2seq_only, "--model seq2seq");
}

namespace {

// An option that a resumed run cannot change, and its value as the options would show it.
struct fixed_option {
  const char* name;
  std::function<std::string(const train_config&)> value;
  const char* why;
};

std::string text(int v) { return std::to_string(v); }
std::string text(double v) { return format_g(v); }
std::string text(bool v) { return v ? "true" : "false"; }

const std::vector<fixed_option>& fixed_options() {
  static const char* shape = "a resumed run keeps the model's shape";
  static const char* data = "a resumed run continues on the same data";
  static const std::vector<fixed_option> list = {
      {"model", [](const train_config& c) { return std::string(model_kind_name(c.model)); }, shape},
      {"layers", [](const train_config& c) { return text(c.layers); }, shape},
      {"heads", [](const train_config& c) { return text(c.heads); }, shape},
      {"embd", [](const train_config& c) { return text(c.embd); }, shape},
      {"hidden", [](const train_config& c) { return text(c.hidden); }, shape},
      {"dec-hidden", [](const train_config& c) { return text(c.dec_hidden); }, shape},
      {"context", [](const train_config& c) { return text(c.context); }, shape},
      {"seq-len", [](const train_config& c) { return text(c.context); }, shape},
      {"dropout", [](const train_config& c) { return text(double(c.dropout)); }, shape},
      {"no-bias", [](const train_config& c) { return text(!c.bias); }, shape},
      {"vocab-size", [](const train_config& c) { return text(c.vocab_size); }, shape},
      {"sampler", [](const train_config& c) { return std::string(sampler_kind_name(c.sampler)); },
       "a resumed run continues the same batches"},
      {"src", [](const train_config& c) { return c.src; }, data},
      {"tgt", [](const train_config& c) { return c.tgt; }, data},
      {"tsv", [](const train_config& c) { return c.tsv; }, data},
      {"valid-src", [](const train_config& c) { return c.valid_src; }, data},
      {"valid-tgt", [](const train_config& c) { return c.valid_tgt; }, data},
      {"valid-tsv", [](const train_config& c) { return c.valid_tsv; }, data},
      {"valid-size", [](const train_config& c) { return text(c.valid_size); }, data},
      {"max-tokens", [](const train_config& c) { return text(c.max_len); }, data},
      {"separate-vocab", [](const train_config& c) { return text(!c.joint_vocab); }, data},
      {"no-space-prefix", [](const train_config& c) { return text(!c.space_prefix); }, data},
      // a language model's --tokenizer may name the checkpoint's tokenizer file by another path: the session
      // compares the tokenizers themselves
      {"tokenizer", [](const train_config& c) { return c.model == model_kind::seq2seq ? c.tokenizer : ""; },
       "a resumed run uses the checkpoint's tokenizers"},
  };
  return list;
}

std::string shown(const std::string& v) { return v.empty() ? "(none)" : v; }

}  // namespace

status check_resume_overrides(const std::set<std::string>& given, const train_config& saved, const train_config& cfg,
                              const train_config* preset_cfg) {
  for (const auto& f : fixed_options()) {
    const std::string was = f.value(saved);
    if (given.count(f.name) && f.value(cfg) != was)
      return status::error("--" + std::string(f.name) + " " + shown(f.value(cfg)) + " contradicts the checkpoint's " +
                           shown(was) + "; " + f.why + " (leave out --" + f.name + ")");
    if (preset_cfg && !given.count(f.name) && f.value(*preset_cfg) != was)
      return status::error("--preset sets --" + std::string(f.name) + " " + shown(f.value(*preset_cfg)) +
                           ", which contradicts the checkpoint's " + shown(was) + "; " + f.why +
                           " (leave out --preset)");
  }
  if (given.count("batch") && saved.sampler == sampler_kind::stream && saved.batch != cfg.batch)
    return status::error("--batch " + text(cfg.batch) + " contradicts the checkpoint's " + text(saved.batch) +
                         "; with the stream sampler every sequence is a stream with its own carried state "
                         "(leave out --batch)");
  return status::ok();
}

}  // namespace pluma::cli
