// sampler: picks the next token from logits with a chain of small stages over one candidate array,
// applied in order, then a seeded draw:
//   repetition penalty -> temperature -> top-k -> top-p -> min-p -> draw
// Stages that are off in the config are left out of the chain. Every stage but top-p costs about
// one pass over the candidates; top-p sorts only the part of them it needs.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "generate/candidates.h"
#include "model/core/rng.h"
#include "model/core/status.h"

namespace pluma {

struct sampler_config {
  float temperature = 1.0f;         // 0: greedy (argmax, ties to the lowest id); must be >= 0
  int top_k = 0;                    // keep the k most likely tokens; 0: off
  float top_p = 1.0f;               // keep the smallest set with mass >= top_p, in (0, 1]; 1: off
  float min_p = 0.0f;               // keep tokens with prob >= min_p * max prob, in [0, 1); 0: off
  float repetition_penalty = 1.0f;  // > 0; 1: off. Recent ids: logit > 0 divided by it, else multiplied
  int repetition_window = 64;       // how many of the latest history ids the penalty looks at; 0: all
  uint64_t seed = 0;
};

// ok, or an error naming the bad field, its valid range and the value given.
status sampler_config_validate(const sampler_config& config);

// One stage of the chain. history: the ids so far (prompt included), oldest first; only the
// repetition penalty reads it. Stages may reorder and drop candidates and change logits; they leave
// prob stale unless they say otherwise (the draw recomputes it).
struct sampler_stage {
  virtual ~sampler_stage() = default;
  virtual std::string name() const = 0;  // e.g. "top_k(40)"
  virtual void apply(candidate_array& c, std::span<const int> history) const = 0;
};

// Each distinct id among the last `window` history ids (0: all) that is still a candidate gets its
// logit divided by `penalty` when positive, multiplied by it otherwise (once, however often it occurred).
struct repetition_penalty_stage final : sampler_stage {
  float penalty;
  int window;
  repetition_penalty_stage(float penalty, int window) : penalty(penalty), window(window) {}
  std::string name() const override;
  void apply(candidate_array& c, std::span<const int> history) const override;
};

// temperature > 0: logits become (logit - max) / temperature (shifting by the max changes no
// probability and keeps tiny temperatures from overflowing). temperature 0: only the argmax remains
// (ties to the lowest id), with prob 1.
struct temperature_stage final : sampler_stage {
  float temperature;
  explicit temperature_stage(float temperature) : temperature(temperature) {}
  std::string name() const override;
  void apply(candidate_array& c, std::span<const int> history) const override;
};

// Keeps exactly min(k, n) candidates: the highest logits, ties to the lower id. k <= 0: no-op.
// For k <= n / 8 a heap selection (about one comparison per token; the result is sorted), else
// nth_element (O(n), unsorted).
struct top_k_stage final : sampler_stage {
  int k;
  explicit top_k_stage(int k) : k(k) {}
  std::string name() const override;
  void apply(candidate_array& c, std::span<const int> history) const override;
};

// Takes the softmax over the current candidates and keeps the shortest prefix, in candidate_before
// order, whose mass reaches p (at least one token). Leaves the array sorted with prob set (from before
// the cut). p >= 1: no-op. "Reaches" allows 1e-6 of rounding, so a prefix whose exact mass equals p
// counts. Sorts only as far as needed: tokens too improbable to matter are dropped first, then the
// best 64, 256, ... are selected until their mass reaches p.
struct top_p_stage final : sampler_stage {
  float p;
  explicit top_p_stage(float p) : p(p) {}
  std::string name() const override;
  void apply(candidate_array& c, std::span<const int> history) const override;
};

// Keeps candidates whose prob is >= min_p * (the largest prob), i.e. logit >= max + log(min_p)
// (with 1e-6 of rounding slack); the argmax always stays. Keeps the order. min_p <= 0: no-op. O(n).
struct min_p_stage final : sampler_stage {
  float min_p;
  explicit min_p_stage(float min_p) : min_p(min_p) {}
  std::string name() const override;
  void apply(candidate_array& c, std::span<const int> history) const override;
};

// Renormalizes (softmax over the remaining candidates, prob set) and draws one id with a single
// g.uniform_double() against the cumulative distribution in array order. Always consumes exactly one
// uniform, so the generator advances once per token whatever the config. The array must not be empty.
int sampler_draw(candidate_array& c, rng& g);

struct sampler_chain {
  std::vector<std::unique_ptr<sampler_stage>> stages;  // applied in order

  void add(std::unique_ptr<sampler_stage> stage) { stages.push_back(std::move(stage)); }
  void apply(candidate_array& c, std::span<const int> history) const;
  std::string describe() const;  // "repetition_penalty(1.1, 64) -> temperature(0.8) -> top_k(40)", "none"
};

// The chain for a (valid) config, in the fixed order above, leaving out stages that are off.
// temperature 0 leaves only the penalty and the greedy stage (the rest cannot change one candidate).
sampler_chain sampler_chain_from_config(const sampler_config& config);

class sampler {
 public:
  // config must pass sampler_config_validate (an internal check otherwise).
  explicit sampler(const sampler_config& config);

  // The next token for logits (V); history as for sampler_stage (a std::vector<int> converts).
  int sample(const float* logits, int V, std::span<const int> history = {});

  rng& generator() { return rng_; }
  const sampler_config& config() const { return config_; }
  const sampler_chain& chain() const { return chain_; }
  // After sample(): the candidates that survived the chain, with the probs the draw used.
  const candidate_array& candidates() const { return candidates_; }

 private:
  sampler_config config_;
  sampler_chain chain_;
  candidate_array candidates_;  // reused across calls: no allocation per token
  rng rng_;
};

}  // namespace pluma
