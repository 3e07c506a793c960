// lanes: data parallel over the threads of one process. On the CPU, a model that can make lanes
// (trainable::make_lane: the GPT, the translator, an LSTM on random windows) computes each micro-batch as n lanes: lane k takes the rows
// [B*k/n, B*(k+1)/n) through a forward and backward of its own on one thread (lane 0 is the model itself, the
// others models made by make_lane that read its parameters), with activations and gradients of its own, and
// the lanes' gradients are summed into the model's once per step (lane 0's first, then lane 1's, ...).
// Where every op is split over the threads, each hands the next its activations across the cores (and waits
// at a barrier): in this VM's slow state two threads then run at 1.3× one; lanes hand nothing over until the
// sum (docs/BENCHMARKS.md, "CPU speed, seventh round"). Each lane weighs by its rows' scored targets, so the step is the
// gradient of the whole batch's mean, as one model computes it but for the rounding of the sums. Dropout: lane
// k draws from a stream split off the step's generator (which then advances past them), as ranks do.
// The rows' split, and so the results, depend on n, not on how many threads run the lanes; the trainer saves
// n in its checkpoints (train_config::lanes).
#pragma once
#include <memory>
#include <vector>

#include "model/core/rng.h"
#include "model/trainable.h"

namespace pluma {

class lane_set {
 public:
  // n lanes of model (clamped to [1, lanes_max()]; 1 where the model cannot make lanes). model must outlive this.
  lane_set(trainable& model, int n);
  int count() const { return int(1 + others_.size()); }

  // Begins a step: the next forward_backward of each lane writes its gradients (trainable::discard_grads).
  void begin_step();
  // As trainable::batch_forward_backward over b (the gradients of grad_scale * the mean loss over b's scored
  // targets), computed by the lanes on their rows of b; returns the mean loss. A batch of fewer rows than lanes
  // (a rank's share, say) is the model's alone, on every thread. Lanes weigh by train_batch::scored, which
  // counts every target of a language model's rows: a model that skips some targets (negative ids) would
  // weigh them otherwise.
  float forward_backward(const train_batch& b, float grad_scale, rng& dropout_rng);
  // Ends a step: the other lanes' gradients added into the model's. Before it the model's gradients are lane
  // 0's alone. A step with no forward_backward leaves them as begin_step did (discarded).
  void end_step();

 private:
  trainable& model_;
  std::vector<std::unique_ptr<trainable>> others_;   // lanes 1 .. n-1
  std::vector<char> written_;   // (n) the lane's gradients hold this step's (not vector<bool>: lanes write theirs at once)
};

}  // namespace pluma
