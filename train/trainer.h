// trainer: the one training loop, for every model kind (model/trainable.h). What differs plugs in: a batch
// source (train/batch_source.h), an evaluator (train/evaluator.h), the learning-rate policy of the config
// (train/lr_schedule.h: warmup+cosine, constant, plateau halving) and, optionally, keeping the best parameters.
//   for it in [step, iters):
//     evaluate when it % eval_interval == 0 (eval_interval 0: after every epoch of the batch source), at the end
//     and on a stop; the plateau rule and keep-best see each scheduled evaluation once (not those of a stop in
//     between, so that a run stopped and resumed equals one that was not; a resumed run repeats the
//     evaluation it stopped at for its report only)
//     stop at iters, max_epochs, the time budget, or when the callback asks: save and return
//     zero grads; grad_accum micro-batches of one global batch, each adding its share of the gradient;
//     checkpoint when due (every checkpoint_interval iterations, or after every evaluation when it is 0), once
//     the loss is known finite; global norm (double) -> clip factor -> Adam(W) step at the policy's lr
// A non-finite loss, gradient norm or evaluation loss stops the run with an error before any update and
// before the checkpoint of that iteration, so the last checkpoint written holds parameters with a finite loss.
// Rows of a batch that score different numbers of targets (a translator's sentences) weigh by their targets,
// so micro-batches and ranks give the gradient of the whole batch's mean.
// The trainer never prints: it reports through the callback.
// Data parallel (distribute()): each rank computes its rows of every global batch; see train/distributed.h.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "model/checkpoint.h"
#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "train/batch_source.h"
#include "train/batches.h"
#include "train/carried_state.h"
#include "train/distributed.h"
#include "train/evaluator.h"
#include "train/lanes.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/train_config.h"

namespace pluma {

struct train_progress {
  enum class kind { step, eval, checkpoint };
  kind event = kind::step;
  int iter = 0;               // step: the iteration just taken (0-based); eval, checkpoint: steps done so far
  int iters = 0;              // the run's end (0: none in steps)
  float loss = 0;             // step: mean loss of the batch
  float grad_norm = 0;        // step: before clipping
  double lr = 0;              // step: the rate used; eval: the rate of the next step
  double tokens_per_s = 0;    // scored target tokens per second of training steps, over the last log interval
  double eta_s = 0;           // at the recent speed (and within the time budget)
  double elapsed_s = 0;       // since run() began
  double epoch = 0;           // a translator's fractional epochs
  eval_result eval;           // eval
  bool best = false;          // eval: the best so far by the keep-best metric
  std::string path;           // checkpoint
};
// Return false to stop cleanly (the trainer evaluates and saves, as at the end).
using train_callback = std::function<bool(const train_progress&)>;

struct train_result {
  int steps = 0;              // optimizer steps done, in total (resumed ones included)
  float train_loss = 0;       // the last evaluation (a language model's)
  float val_loss = 0;
  std::optional<double> val_bleu;   // the last evaluation's (a translator's)
  std::optional<double> best; // the best keep-best metric so far, and its step
  int best_step = 0;
  bool stopped_early = false; // by the time budget, max_epochs or the callback, before iters
  std::string stop_reason;    // "time budget of 600 s reached", "stopped on request", "10 epochs done"
};

class trainer {
 public:
  // A language model: batches from the sampler, the mean loss over the fixed train and val batches.
  trainer(lm_model& model, const tokenizer& tok, batch_sampler& sampler, const fixed_batches& train_eval,
          const fixed_batches& val_eval, const train_config& cfg);
  // Any model: batches from `source`, evaluations by `eval`. Checkpoints carry `tok` and, for a translator,
  // `src_tok` (model_io's layout). Everything given must outlive the trainer.
  trainer(trainable& model, const tokenizer& tok, const tokenizer* src_tok, batch_source& source, evaluator& eval,
          const train_config& cfg);
  ~trainer();

  // Continues from a checkpoint written by save_checkpoint: parameters (the latest, when the best are kept
  // beside them), moments, step, dropout rng, the batch source's position, a recurrent model's carried state,
  // the plateau state and the best so far. Errors name what is missing or of the wrong shape.
  status restore(const checkpoint& ck);
  status save_checkpoint(const std::string& path);

  // Data-parallel training over the ranks of `comm` (which must outlive the trainer); every rank calls it,
  // after restore and before run(). Refuses a batch that does not split over the ranks (a language model's);
  // copies rank 0's parameters and moments to every rank and checks that the ranks stand at the same step and
  // batch position. From then on each rank computes its slice of every global batch, gradients and losses are
  // averaged across ranks, rank 0 alone writes metrics and checkpoints, and rank 0's callback decides when
  // to stop. Without it the trainer runs in one process.
  status distribute(communicator& comm);

  // Trains on the model's device (trainable::exec()): the parameters and the optimizer moments go there when
  // run() starts and come back to the host arenas for every checkpoint and when it returns.
  status run(const train_callback& callback, train_result& result);

  int step() const { return step_; }
  // The data parallel lanes (train/lanes.h) of every step: the config's, where the model can have them (the GPT
  // on the CPU, the translator, an LSTM on random windows), else 1. The config's 0 becomes one per CPU thread
  // for a model that takes lanes by default (trainable::lanes_by_default: the GPT) when every micro-batch has a
  // row for each, there are at most lanes_max() threads and the lanes' own gradients (and bf16 weights) take
  // at most lanes_extra_bytes; else 1. Several ranks (distribute) drop the lanes where a rank's share of a
  // micro-batch has fewer rows than lanes. Checkpoints save the count.
  int lanes() const { return lanes_->count(); }
  optimizer& optim() { return opt_; }
  static uint64_t dropout_seed(const train_config& cfg);   // the dropout stream's seed for this kind of model

 private:
  struct loop;   // one run()'s counters, timers and reporting (trainer_loop.cpp)
  // Where the stream of batches, dropout and the carried state stand: what a checkpoint of the current step records.
  struct position {
    nlohmann::json source;
    uint64_t dropout_rng = 0;
    carried_state::snapshot state;
    bool epoch_done = false;
  };
  position here() const { return {source_.state(), dropout_rng_.state, carried_.save(), epoch_done_}; }
  status save_at(const std::string& path, const position& pos);   // from the host arenas (to_host first)
  status to_device();   // parameters and moments to where the model runs (run() begins with it)
  void to_host();       // and back into the host arenas (checkpoints, the ranks' check, the end of run())
  // Iteration it's forward and backward over one global batch (no update); the mean loss, the gradient norm
  // and the batch's scored targets.
  void compute_gradients(float& loss, double& norm, long& tokens);
  void apply_update(int it, double norm);   // the optimizer step at the policy's lr; step_ = it + 1
  void settle_config();   // the defaults that follow from other settings (decay_iters, checkpoint_interval, lanes)
  void set_lanes(int n);  // n lanes where the model can have them (else 1), in the config and the evaluator too
  static constexpr double lanes_extra_bytes = 256.0 * 1024 * 1024;
  double lr_of(int it) const { return lr_at(cfg_.schedule, it, plateau_); }
  // After an evaluation (not a resumed run's repeat): the plateau rule (a scheduled one only) and keep-best
  // (a scheduled one or the one at the run's natural end; never iteration 0's untrained model). True when best
  // so far.
  bool note_evaluation(int it, const eval_result& r, bool scheduled);
  // Several ranks: fails on every rank when some rank's parameters or moments (the host arenas, to_host first)
  // are not bit-identical to rank 0's.
  status check_ranks_in_step(int it);

  trainable& model_;
  const tokenizer& tok_;
  const tokenizer* src_tok_ = nullptr;
  std::unique_ptr<batch_source> own_source_;   // the language-model constructor's plug-ins
  std::unique_ptr<lm_evaluator> own_eval_;
  batch_source& source_;
  evaluator& eval_;
  train_config cfg_;
  optimizer opt_;
  exec_context ctx_ = cpu_context();
  communicator* comm_ = &single_process_communicator();
  rng dropout_rng_;
  carried_state carried_;   // truncated BPTT: the recurrent state of every stream between steps
  std::unique_ptr<lane_set> lanes_;   // the data parallel lanes over the CPU threads (lanes())
  int step_ = 0;
  bool epoch_done_ = false;       // the last batch taken ended an epoch of the source
  lr_plateau plateau_;
  std::optional<double> best_;    // keep-best: the best metric so far, its step and its parameters (host)
  int best_step_ = 0;
  arena best_params_;
  int evaluated_at_ = -1;         // the step of the last evaluation whose effects the state holds
  float last_train_loss_ = 0, last_val_loss_ = 0;
};

}  // namespace pluma
