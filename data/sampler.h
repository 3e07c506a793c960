// sampler: batches of (inputs, targets) token windows for language-model training and evaluation.
// Targets are the inputs shifted by one token: targets[b][t] = tokens[start_b + t + 1].
// Every sampler reads through a token_view (a mapped shard or ids in memory), which must outlive it,
// and writes int32 buffers the caller owns.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/token_view.h"
#include "model/core/rng.h"
#include "model/core/status.h"

namespace pluma {

// Random windows (GPT): each row starts at an offset drawn uniformly from [0, N-T-1].
class window_sampler {
 public:
  // Error when N < T+1: "corpus of N tokens is shorter than the context T+1 = ...".
  static status create(token_view tokens, int B, int T, uint64_t seed, window_sampler& out);

  // inputs, targets: (B, T)
  void next(int32_t* inputs, int32_t* targets);

  // The whole sampler state is the generator: save it with a checkpoint, restore it for exact resume.
  const rng& generator() const { return gen_; }
  void set_generator(const rng& g) { gen_ = g; }
  int B() const { return B_; }
  int T() const { return T_; }

 private:
  token_view tokens_;
  int B_ = 0, T_ = 0;
  rng gen_;
};

// Contiguous streams (truncated BPTT, LSTM): the tokens are cut into B streams of L = floor(N/B) tokens,
// stream b starting at b*L. Each batch takes the next T tokens of every stream, so row b of batch k+1
// continues exactly where row b of batch k ended. A pass holds floor((L-1)/T) batches; after the last
// one every stream wraps to its start (the leftover tail of fewer than T tokens is skipped).
class stream_sampler {
 public:
  // Error when L < T+1 (each stream must hold one window and its shifted target).
  static status create(token_view tokens, int B, int T, stream_sampler& out);

  // inputs, targets: (B, T). Returns true when this batch starts a new pass (position 0): a recurrent
  // model should reset its carried state before it.
  bool next(int32_t* inputs, int32_t* targets);

  // The state is the offset inside every stream of the next batch (a multiple of T, < L).
  size_t position() const { return pos_; }
  status set_position(size_t pos);
  size_t stream_length() const { return L_; }
  size_t batches_per_pass() const { return (L_ - 1) / static_cast<size_t>(T_); }
  int B() const { return B_; }
  int T() const { return T_; }

 private:
  token_view tokens_;
  int B_ = 0, T_ = 0;
  size_t L_ = 0;     // tokens per stream
  size_t pos_ = 0;   // offset of the next batch inside each stream
};

// Fixed evaluation windows: `count` window starts spread evenly over [0, N-T-1], the same on every call,
// so an evaluation loss is comparable across steps and runs. Same length error as window_sampler.
status eval_window_starts(size_t n_tokens, int T, int count, std::vector<size_t>& starts);

// inputs, targets: (n, T) <- the windows at starts[0 .. n); each start <= N-T-1.
void fill_windows(token_view tokens, int T, const size_t* starts, int n, int32_t* inputs, int32_t* targets);

// All floor((N-1)/T) non-overlapping windows of a split, in order (window i starts at i*T), B at a time:
// summing the loss over them gives the exact loss of the split (up to the last (N-1) mod T targets).
class window_iterator {
 public:
  static status create(token_view tokens, int B, int T, window_iterator& out);

  // inputs, targets: (B, T); fills the next rows and returns how many (B, fewer at the end, 0 when done).
  int next(int32_t* inputs, int32_t* targets);
  void reset() { next_window_ = 0; }
  size_t num_windows() const { return num_windows_; }
  int B() const { return B_; }
  int T() const { return T_; }

 private:
  token_view tokens_;
  int B_ = 0, T_ = 0;
  size_t num_windows_ = 0;
  size_t next_window_ = 0;
};

}  // namespace pluma
