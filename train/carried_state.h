// carried_state: the recurrent state that truncated BPTT carries from one training batch to the next.
// The trainer holds it for the whole global batch, row b being stream b of the contiguous-stream sampler, and
// hands each micro-batch its rows before forward_backward (load) and takes the final state back after
// (store); so gradient accumulation keeps every stream's state, and a checkpoint records it for an exact
// resume. It is active for a recurrent model (the LSTM LM) only; for others every call does nothing.
//   h, c: (L, B, H); "zero" stands for all zeros (a fresh pass, random windows) without touching them.
#pragma once
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "model/model.h"
#include "model/rnn/lstm_lm.h"
#include "train/distributed.h"

namespace pluma {

class carried_state {
 public:
  carried_state(trainable& model, int B);

  bool active() const { return lstm_ != nullptr; }
  // The model carries its state from batch to batch (an LSTM on the stream sampler): its rows are streams.
  bool carries() const;
  // The next batch starts from zeros (the sampler began a new pass, or its batches are independent).
  void clear() { zero_ = true; }
  bool is_zero() const { return zero_; }

  // Micro-batch rows [r0, r0 + n): give the model their state (zeros: reset it) / take its final state back.
  void load(int r0, int n);
  void store(int r0, int n);

  // Data parallel: this rank computed rows [r0, r0 + n) only; afterwards every rank holds every row (the other
  // rows are zeroed here and summed in from their ranks), so checkpoints and resumes see the whole state.
  void share(communicator& comm, int r0, int n);

  // A copy of the whole state, for a checkpoint position taken before a step changes it.
  struct snapshot {
    bool zero = true;
    std::vector<float> h, c;   // (L, B, H) each, empty when zero
  };
  snapshot save() const;
  // Writes the snapshot into the checkpoint as "training.state.h" / "training.state.c" (none when zero).
  void put(checkpoint& ck, const snapshot& s) const;
  // Reads them back (absent: zeros). Errors when their shape is not (L, B, H) of this run.
  status restore(const checkpoint& ck);

 private:
  size_t row_block() const;   // floats of one layer's rows: B * H
  lstm_lm* lstm_ = nullptr;
  int L_ = 0, B_ = 0, H_ = 0;
  bool zero_ = true;
  std::vector<float> h_, c_;     // (L, B, H)
  std::vector<float> mh_, mc_;   // the model's state of one micro-batch (L, n, H), reused
};

}  // namespace pluma
