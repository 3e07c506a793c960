// batches: what the trainer reads its tokens from.
//   batch_sampler: the training stream, one global batch (B windows of T+1 tokens) per step; its position
//                  (rng state, or offset for a contiguous stream) is saved in checkpoints for an exact resume.
//   fixed_batches: the evaluation batches, drawn once and reused at every evaluation, so that successive
//                  evaluations measure the model and not the draw.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/sampler.h"
#include "model/core/status.h"

namespace pluma {

class batch_sampler {
 public:
  virtual ~batch_sampler() = default;
  // inputs, targets: (B, T); targets are inputs shifted by one token. Returns true when the batch does not
  // continue the previous one (a recurrent model then starts from a zero state).
  virtual bool next(int* inputs, int* targets) = 0;
  virtual int batch() const = 0;     // B
  virtual int context() const = 0;   // T
  virtual nlohmann::json state() const = 0;
  virtual status restore(const nlohmann::json& state) = 0;
};

struct fixed_batches {
  int count = 0;             // number of batches
  int B = 0, T = 0;
  std::vector<int> inputs;   // (count, B, T)
  std::vector<int> targets;  // (count, B, T)
  const int* inputs_of(int i) const { return inputs.data() + static_cast<size_t>(i) * B * T; }
  const int* targets_of(int i) const { return targets.data() + static_cast<size_t>(i) * B * T; }
};

// Random windows (GPT): the position is the generator's state.
class window_batches : public batch_sampler {
 public:
  // Errors when the tokens are fewer than T+1 (the message names the split, e.g. "training split").
  static status create(token_view tokens, int B, int T, uint64_t seed, const std::string& what,
                       std::unique_ptr<window_batches>& out);
  bool next(int* inputs, int* targets) override;
  int batch() const override { return s_.B(); }
  int context() const override { return s_.T(); }
  nlohmann::json state() const override;
  status restore(const nlohmann::json& state) override;

 private:
  window_sampler s_;
};

// Contiguous streams (truncated BPTT): the position is the offset inside every stream.
class stream_batches : public batch_sampler {
 public:
  static status create(token_view tokens, int B, int T, const std::string& what, std::unique_ptr<stream_batches>& out);
  bool next(int* inputs, int* targets) override;
  int batch() const override { return s_.B(); }
  int context() const override { return s_.T(); }
  nlohmann::json state() const override;
  status restore(const nlohmann::json& state) override;

 private:
  stream_sampler s_;
};

// Draws `count` batches from a sampler (which advances).
fixed_batches fixed_batches_draw(batch_sampler& sampler, int count);

}  // namespace pluma
