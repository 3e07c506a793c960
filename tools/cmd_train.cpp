// pluma train: train a language model. Options are declared once, bound to the fields of train_config
// (their defaults shown in --help come from train_config); a preset sets a group of fields, and every option
// given on the command line overrides it. --resume continues from a checkpoint with its saved settings, over
// which the options given are laid again.
#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <set>
#include <vector>

#include "tools/cli_ranks.h"
#include "tools/cmd_train_seq2seq.h"
#include "tools/command.h"
#include "model/core/device_arena.h"
#include "model/ops/matmul.h"
#include "train/nccl_communicator.h"
#include "train/session.h"
#include "train/text_format.h"
#include "train/train_config.h"

namespace {

using namespace pluma;

// Binds cxxopts options to fields: help text and default once, applied only when given.
class option_table {
 public:
  explicit option_table(cxxopts::Options& o) : opts_(o) {}

  template <class T>
  void add(const std::string& group, const std::string& name, const std::string& help, T& field) {
    opts_.add_options(group)(name, help, cxxopts::value<T>()->default_value(show(field)));
    setters_.push_back({name, [name, &field](const cxxopts::ParseResult& r) {
                          field = r[name].as<T>();
                          return status::ok();
                        }});
  }
  // A field whose text needs parsing (enums, durations): `set` turns the text into the field.
  void add_text(const std::string& group, const std::string& name, const std::string& help, const std::string& shown,
                std::function<status(const std::string&)> set) {
    opts_.add_options(group)(name, help, cxxopts::value<std::string>()->default_value(shown));
    setters_.push_back({name, [name, set](const cxxopts::ParseResult& r) {
                          return set(r[name].as<std::string>()).with_context("--" + name);
                        }});
  }
  void add_flag(const std::string& group, const std::string& name, const std::string& help,
                std::function<void()> set) {
    opts_.add_options(group)(name, help);
    setters_.push_back({name, [set](const cxxopts::ParseResult&) {
                          set();
                          return status::ok();
                        }});
  }
  // Sets the fields of the options given; `given` collects their names.
  status apply(const cxxopts::ParseResult& r, std::set<std::string>* given = nullptr) const {
    for (const auto& s : setters_)
      if (r.count(s.name)) {
        PLUMA_TRY(s.set(r));
        if (given) given->insert(s.name);
      }
    return status::ok();
  }

 private:
  template <class T>
  static std::string show(const T& v) {
    if constexpr (std::is_same_v<T, std::string>) return v;
    else if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
      return buf;
    } else return std::to_string(v);
  }
  struct setter {
    std::string name;
    std::function<status(const cxxopts::ParseResult&)> set;
  };
  cxxopts::Options& opts_;
  std::vector<setter> setters_;
};

void declare_options(option_table& t, train_config& c, std::string& preset) {
  const std::string M = "Model", D = "Data", O = "Optimization", R = "Run";
  t.add_text(M, "model", "Model kind: gpt, lstm or seq2seq (a translator: see pluma train --model seq2seq --help). An lstm "
                         "starts from char-rnn's defaults (2x128, seq-len 50, batch 50, adam, constant lr 2e-3, no weight "
                         "decay, clip 5, stream sampler, 5000 it), not the gpt's shown here",
             model_kind_name(c.model),
             [&c](const std::string& s) { return model_kind_parse(s, c.model); });
  t.add_text(M, "preset", "A recipe: baby (gpt 4x4x128, context 64, 2000 it), shakespeare-char (gpt 6x6x384, context "
                          "256, dropout 0.2, 5000 it), char-rnn-small (lstm 2x128, the lstm defaults) or char-rnn "
                          "(lstm 3x512, dropout 0.5, seq-len 100, batch 50); options given beside it override it",
             "", [&preset](const std::string& s) {
               preset = s;
               return status::ok();
             });
  t.add(M, "layers", "Transformer blocks / LSTM layers", c.layers);
  t.add(M, "heads", "Attention heads (gpt; must divide --embd)", c.heads);
  t.add(M, "embd", "Width (gpt); embedding width (lstm, 0 = --hidden)", c.embd);
  t.add(M, "hidden", "LSTM state width", c.hidden);
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
  t.add(O, "batch", "Sequences per optimizer step", c.batch);
  t.add(O, "grad-accum", "Micro-batches per step (batch/grad-accum sequences each; same step, less memory)",
        c.grad_accum);
  t.add(O, "iters", "Optimizer steps in total (a resumed run continues up to this)", c.iters);
  t.add(O, "lr", "Peak learning rate", c.schedule.lr_max);
  t.add(O, "lr-min", "Learning rate at the end of the cosine decay", c.schedule.lr_min);
  t.add(O, "warmup", "Linear warmup iterations", c.schedule.warmup_iters);
  t.add(O, "lr-decay-iters", "Iteration where the cosine reaches --lr-min (0 = --iters)", c.schedule.decay_iters);
  t.add_text(O, "lr-schedule", "cosine or constant (after the warmup)", lr_schedule_kind_name(c.schedule.kind),
             [&c](const std::string& s) { return lr_schedule_kind_parse(s, c.schedule.kind); });
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
                             "weights, gradients and optimizer stay fp32)",
             "fp32", [&c](const std::string& s) {
               if (s != "fp32" && s != "bf16") return status::error("expected fp32 or bf16 (got '" + s + "')");
               c.bf16 = s == "bf16";
               return status::ok();
             });
  t.add(R, "eval-interval", "Evaluate every N iterations (and at the start and the end)", c.eval_interval);
  t.add(R, "eval-iters", "Fixed batches per evaluation, for train and for val (random windows, drawn once; an lstm "
                         "starts each from a zero state)", c.eval_iters);
  t.add(R, "log-interval", "Metrics line (and, when not on a terminal, a progress line) every N iterations",
        c.log_interval);
  t.add(R, "checkpoint-interval", "Save every N iterations (0 = at every evaluation) and at the end",
        c.checkpoint_interval);
  t.add_text(R, "max-time", "Stop cleanly and save after this long, e.g. 90s, 10m, 1.5h (0 = no limit)", "0",
             [&c](const std::string& s) { return duration_parse(s, c.max_time_s); });
  t.add(R, "out", "Checkpoint file to write (a resumed run: the checkpoint it resumed from)", c.out);
  t.add(R, "metrics", "JSON-lines metrics log (iter, loss, train_loss, val_loss, lr, tokens_per_s)", c.metrics);
  t.add(R, "resume", "Continue from this checkpoint, exactly where it stopped", c.resume);
  t.add(R, "threads", "OpenMP threads (0 = the default)", c.threads);
  t.add_text(R, "device", "cpu or cuda (gpt: parameters, gradients, optimizer moments and activations on the GPU; "
                          "checkpoints are the same files either way)",
             "cpu", [&c](const std::string& s) {
               if (s == "cpu") c.dev = device::cpu;
               else if (s == "cuda") c.dev = device::cuda;
               else return status::error("expected cpu or cuda (got '" + s + "')");
               return status::ok();
             });
}

// On resume the model's shape comes from the checkpoint: options that would change it are refused.
status check_resume_overrides(const std::set<std::string>& given, const train_config& saved, const train_config& cfg) {
  auto fixed = [&](const char* name, bool same) -> status {
    if (given.count(name) && !same)
      return status::error(std::string("--") + name + " differs from the resumed checkpoint's; a resumed run keeps "
                           "the model's shape (leave out --" + name + ")");
    return status::ok();
  };
  PLUMA_TRY(fixed("model", saved.model == cfg.model));
  PLUMA_TRY(fixed("layers", saved.layers == cfg.layers));
  PLUMA_TRY(fixed("heads", saved.heads == cfg.heads));
  PLUMA_TRY(fixed("embd", saved.embd == cfg.embd));
  PLUMA_TRY(fixed("hidden", saved.hidden == cfg.hidden));
  PLUMA_TRY(fixed("context", saved.context == cfg.context));
  PLUMA_TRY(fixed("seq-len", saved.context == cfg.context));
  PLUMA_TRY(fixed("dropout", saved.dropout == cfg.dropout));
  PLUMA_TRY(fixed("no-bias", saved.bias == cfg.bias));
  PLUMA_TRY(fixed("vocab-size", saved.vocab_size == cfg.vocab_size));
  if (given.count("sampler") && saved.sampler != cfg.sampler)
    return status::error(std::string("--sampler differs from the resumed checkpoint's (") + sampler_kind_name(saved.sampler) +
                         "); a resumed run continues the same batches (leave out --sampler)");
  if (given.count("batch") && saved.sampler == sampler_kind::stream && saved.batch != cfg.batch)
    return status::error("--batch differs from the resumed checkpoint's (" + std::to_string(saved.batch) +
                         "); with the stream sampler every sequence is a stream with its own carried state "
                         "(leave out --batch)");
  if (given.count("preset")) return status::error("--preset cannot be combined with --resume (the checkpoint has its settings)");
  return status::ok();
}

// Options of the other model kind are refused rather than silently ignored.
status check_model_options(const std::set<std::string>& given, model_kind kind) {
  const bool lstm = kind == model_kind::lstm;
  const std::vector<std::string> other = lstm ? std::vector<std::string>{"heads", "no-bias"}
                                              : std::vector<std::string>{"hidden"};
  for (const auto& name : other)
    if (given.count(name))
      return status::error("--" + name + " applies to --model " + (lstm ? "gpt" : "lstm") + " only; leave it out for " +
                           (lstm ? "an lstm" : "a gpt"));
  return status::ok();
}

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);   // a second Ctrl-C ends at once
}

std::string duration_text(double s) {
  char buf[32];
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

std::string rate_text(double tps) {
  char buf[32];
  if (tps >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", tps / 1e6);
  else if (tps >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", tps / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", tps);
  return buf;
}

// 809856 -> "809,856"
std::string count_text(size_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); i++) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// What the run is about to do: data, tokenizer, model, memory, batch.
void print_setup(const train_session& s) {
  const train_config& c = s.cfg;
  std::printf("data: %s: %zu train / %zu val tokens; tokenizer %s (%d tokens)\n", s.corpus_path.c_str(),
              s.train_tokens.size(), s.val_tokens.size(), s.tokenizer_origin.c_str(), s.tok->vocab_size());
  std::string shape;
  const nlohmann::json model_json = s.model->config_json();
  for (const auto& [key, value] : model_json.items()) {
    if (key == "kind" || key == "vocab_size") continue;
    std::string v = value.is_number_float() ? format_g(static_cast<float>(value.get<double>())) : value.dump();
    shape += (shape.empty() ? "" : ", ") + key + " " + v;
  }
  std::string micro = c.grad_accum > 1 ? " in " + std::to_string(c.grad_accum) + " micro-batches" : "";
  if (c.model == model_kind::lstm || c.sampler == sampler_kind::stream)
    micro += c.sampler == sampler_kind::stream ? " from contiguous streams (state carried)" : " from random windows (zero state)";
  std::printf("model: %s (%s), %s parameters, about %s to train; batch %d x %d tokens%s, %d threads\n",
              model_kind_name(s.model->kind()), shape.c_str(), count_text(s.n_params).c_str(),
              bytes_human(s.training_bytes).c_str(), c.batch, c.context, micro.c_str(), omp_get_max_threads());
  if (c.dev == device::cuda) std::printf("device: %s\n", cuda_device_description().c_str());
  if (c.bf16) std::printf("precision: matmul operands in bf16, fp32 accumulation, weights and optimizer\n");
}

const std::string ended_from_outside =
    "the run was ended from outside (another rank failed and the MPI launcher ended the job, or it was stopped)";

// The live progress: one line rewritten with \r on a terminal, plain lines every log interval otherwise.
struct progress_printer {
  bool tty = isatty(STDOUT_FILENO);
  int log_interval = 10;
  bool line_open = false;
  bool note_checkpoints = false;   // rank 0 of several: keep the termination note on the last checkpoint

  void end_line() {
    if (line_open) std::printf("\n");
    line_open = false;
  }
  bool operator()(const train_progress& p) {
    switch (p.event) {
      case train_progress::kind::step: {
        if (!tty && p.iter % log_interval != 0) break;
        std::printf("%siter %d/%d | loss %.4f | lr %.2e | %s tok/s | ETA %s%s", tty ? "\r" : "", p.iter, p.iters,
                    p.loss, p.lr, rate_text(p.tokens_per_s).c_str(), duration_text(p.eta_s).c_str(),
                    tty ? "\033[K" : "\n");
        line_open = tty;
        break;
      }
      case train_progress::kind::eval:
        end_line();
        std::printf("eval %d: train loss %.4f, val loss %.4f (%s)\n", p.iter, p.train_loss, p.val_loss,
                    duration_text(p.elapsed_s).c_str());
        break;
      case train_progress::kind::checkpoint:
        end_line();
        std::printf("saved %s (iteration %d)\n", p.path.c_str(), p.iter);
        if (note_checkpoints)
          cli::termination_note_set(ended_from_outside + "; the last checkpoint written, " + p.path + " (iteration " +
                                    std::to_string(p.iter) + "), is intact: continue with pluma train --resume " + p.path);
        break;
    }
    std::fflush(stdout);
    return !interrupted;
  }
};

int cmd_train(int argc, char** argv) {
  if (cli::train_args_want_seq2seq(argc, argv)) return cli::run_train_seq2seq(argc, argv);
  cli::rank_output output;   // started by an MPI launcher: rank 0 alone talks
  train_config cfg;
  std::string preset;
  cxxopts::Options opts("pluma train", "Train a language model on a corpus and write a .pluma checkpoint.\n"
                                       "Under mpirun (mpirun -np N pluma train ...) the ranks train it data-parallel: "
                                       "--batch stays the global batch, split evenly over them.");
  option_table table(opts);
  declare_options(table, cfg, preset);
  cli::add_help(opts);
  auto r = cli::parse_or_exit(opts, argc, argv);
  std::unique_ptr<communicator> comm;   // the ranks of a data-parallel run (one without a launcher)
  status st = communicator_open(comm);
  if (!st) cli::fail(st.message());
  output.release_stderr();
  communicator& world = *comm;
  // From here every rank takes the same branches: errors are agreed, then reported by rank 0.
  auto usage_check = [&](const status& local) {
    status all = distributed_agree(world, local);
    if (!all) cli::usage_error_all(world, opts, all.message());
  };

  // Layering: defaults, then the preset (or the resumed checkpoint's settings), then the options given.
  std::set<std::string> given;
  usage_check(table.apply(r, &given));   // first pass: learn the preset name and which options were given
  train_session s;
  if (!cfg.resume.empty()) {
    train_config saved;
    std::string resume = cfg.resume;
    st = distributed_agree(world, train_session_read_resume(resume, s, saved));
    if (!st) cli::fail_all(world, st.message());
    cfg = saved;
    table.apply(r);
    st = check_model_options(given, cfg.model);
    if (st) st = check_resume_overrides(given, saved, cfg);
    usage_check(st);
    if (!given.count("out")) cfg.out = resume;
    s.check_tokenizer = given.count("tokenizer") > 0;
  } else if (!preset.empty() || cfg.model != model_kind::gpt) {
    // a preset's recipe, or the defaults of the model kind asked for, under the options given
    const model_kind asked = cfg.model;
    if (preset.empty()) train_model_defaults(asked, cfg);
    else usage_check(train_preset_apply(preset, cfg));
    if (given.count("model") && asked != cfg.model)
      usage_check(status::error("--preset " + preset + " is a recipe for --model " + model_kind_name(cfg.model) +
                                "; leave out --model " + model_kind_name(asked) + " or choose another preset"));
    table.apply(r);
  }
  st = check_model_options(given, cfg.model);
  if (st) st = train_config_check(cfg);
  if (st) st = distributed_check_batch(cfg.batch, cfg.grad_accum, world.size());
  usage_check(st);
  if (cfg.threads > 0) omp_set_num_threads(cfg.threads);
  if (cfg.bf16) matmul_set_bf16(true);

  // Several ranks on GPUs: each takes a GPU of its host before anything is allocated, and gradients are
  // averaged by NCCL where the build has it (else through the host, by MPI).
  std::unique_ptr<communicator> nccl;
  communicator* grads_comm = &world;
  if (cfg.dev == device::cuda && world.size() > 1) {
    int gpu = 0;
    st = distributed_agree(world, cuda_use_device(launch_info_from_env().local_rank, gpu).with_context("--device cuda"));
    if (!st) cli::fail_all(world, st.message());
  }
  st = distributed_agree(world, train_session_open(cfg, s));
  if (st && cfg.dev == device::cuda && world.size() > 1 && nccl_compiled()) {
    st = nccl_communicator_open(world, nccl);
    if (st) grads_comm = nccl.get();
  }
  if (st) st = s.tr->distribute(*grads_comm);
  if (!st) cli::fail_all(world, st.message());
  const train_config& c = s.cfg;
  print_setup(s);
  if (world.size() > 1)
    std::printf("data parallel: %d ranks (%s), %d of the %d sequences of every batch each\n", world.size(),
                grads_comm->backend(), c.batch / world.size(), c.batch);
  if (s.resumed) std::printf("resuming from %s at iteration %d of %d\n", c.resume.c_str(), s.tr->step(), c.iters);
  std::fflush(stdout);

  progress_printer printer;
  printer.log_interval = c.log_interval;
  if (world.size() > 1 && world.rank() == 0) {
    printer.note_checkpoints = true;
    cli::termination_note_set(ended_from_outside + "; " +
                              (s.resumed ? "the checkpoint resumed from, " + c.resume + ", is unchanged"
                                         : std::string("no checkpoint was written yet")));
  }
  std::signal(SIGINT, on_interrupt);
  train_result res;
  st = s.tr->run(std::ref(printer), res);
  std::signal(SIGINT, SIG_DFL);
  printer.end_line();
  if (!st) cli::fail_all(world, st.message());
  if (res.stopped_early)
    std::printf("stopped at iteration %d of %d: %s; continue with: pluma train --resume %s\n", res.steps, c.iters,
                interrupted ? "interrupted" : res.stop_reason.c_str(), c.out.c_str());
  std::printf("done: %d iterations, train loss %.4f, val loss %.4f; checkpoint %s\n", res.steps, res.train_loss,
              res.val_loss, c.out.c_str());
  world.finalize();
  return 0;
}

}  // namespace

PLUMA_COMMAND("train", "Train a language model (GPT or LSTM) or a translator (--model seq2seq) and write a checkpoint", cmd_train);
