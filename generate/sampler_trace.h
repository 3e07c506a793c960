// sampler_trace: one step of the sampler chain, stage by stage, for teaching and inspection (`pluma serve`).
// Runs the very chain sampler_chain_from_config builds, on a copy of the candidates, and keeps what each
// stage left: raw softmax -> repetition penalty -> temperature -> top-k -> top-p -> min-p -> renormalized,
// then the seeded draw. The chosen id is the one sampler::sample returns for the same logits, history and
// config after `draws_before` earlier draws (the generator advances exactly once per token).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "generate/sampler.h"

namespace pluma {

// Slots in the fixed order; a slot whose stage is off in the config repeats the previous members.
enum class trace_slot { raw, repetition_penalty, temperature, top_k, top_p, min_p, renormalized };
constexpr int trace_slot_count = 7;
const char* trace_slot_name(trace_slot s);  // "raw", "repetition_penalty", ..., "renormalized"

struct trace_stage {
  trace_slot slot = trace_slot::raw;
  std::string label;                 // the stage's name() ("top_k(40)"), "softmax", "renormalize", or "off"
  bool active = false;
  // The survivors, sorted (descending prob, ties by id). prob: after a reshaping stage (raw, penalty,
  // temperature) the softmax over the members; after a cut (top-k, top-p, min-p) the prob each survivor had
  // before the cut (so the kept mass shows); after renormalized the softmax over the survivors (the draw's).
  std::vector<candidate> members;
  double mass = 1.0;                 // sum of the members' prob
};

struct sampler_trace {
  std::vector<trace_stage> stages;   // (trace_slot_count), in slot order
  int chosen = -1;                   // the drawn id
  double uniform = 0.0;              // the draw's uniform in [0, 1): the chosen token's cumulative interval holds it
};

// config must pass sampler_config_validate. history as for sampler_stage (prompt ids, oldest first).
sampler_trace sampler_trace_step(const float* logits, int V, std::span<const int> history,
                                 const sampler_config& config, uint64_t draws_before = 0);

}  // namespace pluma
