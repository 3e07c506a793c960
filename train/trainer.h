// trainer: the training loop over an lm_model.
//   for it in [step, iters]:
//     evaluate when it % eval_interval == 0 or it == iters (the same fixed batches every time, train and val)
//     stop at iters, at the time budget, or when the callback asks: save and return
//     zero grads; grad_accum micro-batches of one global batch, each adding grad/grad_accum;
//     checkpoint when it % checkpoint_interval == 0 (it > the first iteration), once the loss is known finite;
//     global norm (double) -> clip factor -> Adam(W) step at lr_at(it)
// A non-finite loss, gradient norm or evaluation loss stops the run with an error before any update and
// before the checkpoint of that iteration, so the last checkpoint written holds parameters with a finite loss.
// The trainer never prints: it reports through the callback.
// Data parallel (distribute()): each rank computes its rows of every global batch; see train/distributed.h.
#pragma once
#include <functional>
#include <string>

#include "model/checkpoint.h"
#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "train/batches.h"
#include "train/carried_state.h"
#include "train/distributed.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/train_config.h"

namespace pluma {

struct train_progress {
  enum class kind { step, eval, checkpoint };
  kind event = kind::step;
  int iter = 0;               // step: the iteration just taken (0-based); eval, checkpoint: steps done so far
  int iters = 0;              // the run's end
  float loss = 0;             // step: mean loss of the batch
  float grad_norm = 0;        // step: before clipping
  double lr = 0;              // step: the rate used; eval: the rate of the next step
  double tokens_per_s = 0;    // training steps only (evaluations excluded), over the last log interval
  double eta_s = 0;           // at the recent speed
  double elapsed_s = 0;       // since run() began
  float train_loss = 0;       // eval
  float val_loss = 0;         // eval
  std::string path;           // checkpoint
};
// Return false to stop cleanly (the trainer evaluates and saves, as at the end).
using train_callback = std::function<bool(const train_progress&)>;

struct train_result {
  int steps = 0;              // optimizer steps done, in total (resumed ones included)
  float train_loss = 0;       // the last evaluation
  float val_loss = 0;
  bool stopped_early = false; // by the time budget or the callback
  std::string stop_reason;    // "time budget of 600 s reached", "stopped on request"
};

class trainer {
 public:
  // The model's parameters must be initialized (or restored) before run(). Checkpoints carry the model and
  // `tok` (model_io's layout) plus the optimizer moments and the metadata "training".
  trainer(lm_model& model, const tokenizer& tok, batch_sampler& sampler, const fixed_batches& train_eval,
          const fixed_batches& val_eval, const train_config& cfg);

  // Continues from a checkpoint written by save_checkpoint: parameters, moments, step, dropout rng, the
  // sampler's position and a recurrent model's carried state. Errors name what is missing or of the wrong shape.
  status restore(const checkpoint& ck);
  status save_checkpoint(const std::string& path);

  // Data-parallel training over the ranks of `comm` (which must outlive the trainer); every rank calls it,
  // after restore and before run(). Refuses a batch that does not split over the ranks; copies rank 0's
  // parameters and moments to every rank and checks that the ranks stand at the same step and sampler
  // position. From then on each rank computes its slice of every global batch (and of the evaluation
  // batches), gradients and losses are averaged across ranks, rank 0 alone writes metrics and checkpoints,
  // and rank 0's callback decides when to stop. Without it the trainer runs in one process.
  status distribute(communicator& comm);

  // Trains on the model's device (lm_model::exec()): the parameters and the optimizer moments go there when
  // run() starts and come back to the host arenas for every checkpoint and when it returns.
  status run(const train_callback& callback, train_result& result);

  int step() const { return step_; }
  optimizer& optim() { return opt_; }

 private:
  struct loop;   // one run()'s counters, timers and reporting (trainer.cpp)
  // Where the stream of batches, dropout and the carried state stand: what a checkpoint of the current step records.
  struct position {
    nlohmann::json sampler;
    uint64_t dropout_rng = 0;
    carried_state::snapshot state;
  };
  position here() const { return {sampler_.state(), dropout_rng_.state, carried_.save()}; }
  status save_at(const std::string& path, const position& pos);   // from the host arenas (to_host first)
  status to_device();   // parameters and moments to where the model runs (run() begins with it)
  void to_host();       // and back into the host arenas (checkpoints, the ranks' check, the end of run())
  float eval_loss(const fixed_batches& fb);
  // Iteration it's forward and backward over one global batch (no update); the mean loss and the gradient norm.
  void compute_gradients(float& loss, double& norm);
  void apply_update(int it, double norm);   // the optimizer step at lr_at(it); step_ = it + 1
  // Several ranks: fails on every rank when some rank's parameters or moments (the host arenas, to_host first)
  // are not bit-identical to rank 0's.
  status check_ranks_in_step(int it);

  lm_model& model_;
  const tokenizer& tok_;
  batch_sampler& sampler_;
  const fixed_batches& train_eval_;
  const fixed_batches& val_eval_;
  train_config cfg_;
  optimizer opt_;
  exec_context ctx_ = cpu_context();
  communicator* comm_ = &single_process_communicator();
  rng dropout_rng_;
  carried_state carried_;   // truncated BPTT: the recurrent state of every stream between steps
  int step_ = 0;
  std::vector<int> inputs_, targets_;   // (B, T) the global batch
  float last_train_loss_ = 0, last_val_loss_ = 0;
};

// Checkpoint helpers: every tensor of the size table under prefix + spec.name, and back (shapes checked).
void checkpoint_put_arena(checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                          const arena& a);
status checkpoint_get_arena(const checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                            arena& a);

}  // namespace pluma
