// pluma train: train a language model or a translator. Options are declared once (cmd_train_options.cpp), bound
// to the fields of train_config (their defaults shown in --help come from train_config); a preset sets a group
// of fields, and every option given on the command line overrides it. --resume continues from a checkpoint with
// its saved settings, over which the options given are laid again (those that contradict it are refused).
#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <set>
#include <vector>

#include "tools/cli_ranks.h"
#include "tools/cmd_train_options.h"
#include "tools/command.h"
#include "model/core/cuda_module.h"
#include "model/core/device_arena.h"
#include "model/core/threads.h"
#include "model/ops/matmul.h"
#include "train/nccl_communicator.h"
#include "train/session.h"
#include "train/text_format.h"
#include "train/train_config.h"

namespace {

using namespace pluma;

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
std::string model_shape(const trainable& m) {
  std::string shape;
  const nlohmann::json config = m.config_json();
  for (const auto& [key, value] : config.items()) {
    if (key == "kind" || key == "vocab_size" || key == "src_vocab_size") continue;
    std::string v = value.is_number_float() ? format_g(static_cast<float>(value.get<double>())) : value.dump();
    shape += (shape.empty() ? "" : ", ") + key + " " + v;
  }
  return shape;
}

void print_setup(const train_session& s) {
  const train_config& c = s.cfg;
  const int lanes = s.tr->lanes();
  const int n_threads = omp_get_max_threads();
  const std::string threads = std::to_string(n_threads) + (n_threads == 1 ? " thread" : " threads") +
                              (lanes > 1 ? " (" + std::to_string(lanes) +
                                               (lanes > n_threads ? " lanes, in turn)" : " lanes: each thread its own rows)")
                                         : "");
  if (c.model == model_kind::seq2seq) {
    for (const auto& line : s.pairs.summary) std::printf("%s\n", line.c_str());
    std::printf("tokenizers: %s, %d source / %d target tokens\n", s.tokenizer_origin.c_str(), s.src_tok->vocab_size(),
                s.tok->vocab_size());
    std::printf("model: seq2seq (%s), %s parameters; batches of up to %d sentence pairs, %s\n",
                model_shape(*s.model).c_str(), count_text(s.n_params).c_str(), c.batch, threads.c_str());
    return;
  }
  std::printf("data: %s: %zu train / %zu val tokens; tokenizer %s (%d tokens)\n", s.corpus_path.c_str(),
              s.train_tokens.size(), s.val_tokens.size(), s.tokenizer_origin.c_str(), s.tok->vocab_size());
  std::string micro = c.grad_accum > 1 ? " in " + std::to_string(c.grad_accum) + " micro-batches" : "";
  if (c.model == model_kind::lstm || c.sampler == sampler_kind::stream)
    micro += c.sampler == sampler_kind::stream ? " from contiguous streams (state carried)" : " from random windows (zero state)";
  std::printf("model: %s (%s), %s parameters, about %s to train; batch %d x %d tokens%s, %s\n",
              model_kind_name(s.model->kind()), model_shape(*s.model).c_str(), count_text(s.n_params).c_str(),
              bytes_human(s.training_bytes).c_str(), c.batch, c.context, micro.c_str(), threads.c_str());
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
  bool epochs = false;             // a translator: show the epoch

  void end_line() {
    if (line_open) std::printf("\n");
    line_open = false;
  }
  bool operator()(const train_progress& p) {
    switch (p.event) {
      case train_progress::kind::step: {
        if (!tty && p.iter % log_interval != 0) break;
        std::string where = "iter " + std::to_string(p.iter) + (p.iters > 0 ? "/" + std::to_string(p.iters) : "");
        if (epochs) {
          char buf[32];
          std::snprintf(buf, sizeof buf, " | epoch %.2f", p.epoch);
          where += buf;
        }
        std::printf("%s%s | loss %.4f | lr %.2e | %s tok/s | ETA %s%s", tty ? "\r" : "", where.c_str(), p.loss, p.lr,
                    rate_text(p.tokens_per_s).c_str(), duration_text(p.eta_s).c_str(), tty ? "\033[K" : "\n");
        line_open = tty;
        break;
      }
      case train_progress::kind::eval:
        end_line();
        if (p.eval.val_bleu)
          std::printf("eval %d (epoch %.2f): val loss %.4f, val nll %.4f (ppl %.2f), val BLEU %.2f%s, next lr %.3g (%s)\n",
                      p.iter, p.epoch, p.eval.val_loss, p.eval.val_nll.value_or(0), std::exp(p.eval.val_nll.value_or(0)),
                      *p.eval.val_bleu, p.best ? " (best, kept)" : "", p.lr, duration_text(p.elapsed_s).c_str());
        else
          std::printf("eval %d: train loss %.4f, val loss %.4f%s (%s)\n", p.iter, p.eval.train_loss.value_or(0),
                      p.eval.val_loss, p.best ? " (best, kept)" : "", duration_text(p.elapsed_s).c_str());
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
  cli::rank_output output;   // started by an MPI launcher: rank 0 alone talks
  train_config cfg;
  std::string preset;
  cxxopts::Options opts("pluma train", "Train a language model on a corpus, or a translator (--model seq2seq) on "
                                       "sentence pairs, and write a .pluma checkpoint.\n"
                                       "Under mpirun (mpirun -np N pluma train ...) the ranks train it data-parallel: "
                                       "--batch stays the global batch, split evenly over them.");
  cli::option_table table(opts);
  cli::declare_train_options(table, cfg, preset);
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
    train_config preset_cfg;
    st = preset.empty() ? status::ok() : train_preset_apply(preset, preset_cfg);
    if (st) st = cli::check_model_options(given, cfg.model);
    if (st) st = cli::check_resume_overrides(given, saved, cfg, preset.empty() ? nullptr : &preset_cfg);
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
    // a translator's preset gives 40 minutes unless the options set a limit of their own
    if (!preset.empty() && cfg.model == model_kind::seq2seq && !given.count("max-time") &&
        (given.count("iters") || given.count("max-epochs")))
      cfg.max_time_s = 0;
  }
  st = cli::check_model_options(given, cfg.model);
  if (st) st = train_config_check(cfg);
  if (st && cfg.model != model_kind::seq2seq) st = distributed_check_batch(cfg.batch, cfg.grad_accum, world.size());
  usage_check(st);
  if (cfg.threads > 0) threads_set(cfg.threads);
  if (cfg.bf16) matmul_set_bf16(true);
  // --device cuda: the CUDA backend is loaded first, so that one without it is one line before any work
  if (cfg.dev == device::cuda) {
    st = distributed_agree(world, cuda_backend_load().with_context("--device cuda"));
    if (!st) cli::fail_all(world, st.message());
  }

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
  if (s.resumed) std::printf("resuming from %s at iteration %d%s\n", c.resume.c_str(), s.tr->step(),
                             c.iters > 0 ? (" of " + std::to_string(c.iters)).c_str() : "");
  std::fflush(stdout);

  progress_printer printer;
  printer.log_interval = c.log_interval;
  printer.epochs = c.model == model_kind::seq2seq;
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
  const std::string of_iters = c.iters > 0 ? " of " + std::to_string(c.iters) : "";
  if (res.stopped_early)
    std::printf("stopped at iteration %d%s: %s; continue with: pluma train --resume %s\n", res.steps, of_iters.c_str(),
                interrupted ? "interrupted" : res.stop_reason.c_str(), c.out.c_str());
  else if (!res.stop_reason.empty())
    std::printf("stopped at iteration %d: %s\n", res.steps, res.stop_reason.c_str());
  std::string best;
  if (res.best)
    best = ", best " + std::string(c.keep_best == keep_best_kind::bleu ? "val BLEU " : "val loss ") +
           format_g(*res.best) + " at iteration " + std::to_string(res.best_step) + " (the checkpoint's model)";
  if (c.model == model_kind::seq2seq)
    std::printf("done: %d iterations, val loss %.4f, val BLEU %.2f%s; checkpoint %s\n", res.steps, res.val_loss,
                res.val_bleu.value_or(0), best.c_str(), c.out.c_str());
  else
    std::printf("done: %d iterations, train loss %.4f, val loss %.4f%s; checkpoint %s\n", res.steps, res.train_loss,
                res.val_loss, best.c_str(), c.out.c_str());
  world.finalize();
  return 0;
}

}  // namespace

PLUMA_COMMAND("train", "Train a language model (GPT or LSTM) or a translator (--model seq2seq) and write a checkpoint", cmd_train);
