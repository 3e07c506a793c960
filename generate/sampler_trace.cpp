#include "generate/sampler_trace.h"

#include <algorithm>

#include "model/core/check.h"

namespace pluma {

namespace {

// The slot a chain stage fills, from its name ("top_k(40)" -> top_k).
trace_slot slot_of(const sampler_stage& stage) {
  const std::string n = stage.name();
  const std::string kind = n.substr(0, n.find('('));
  for (int s = 1; s < trace_slot_count - 1; s++)
    if (kind == trace_slot_name(static_cast<trace_slot>(s))) return static_cast<trace_slot>(s);
  PLUMA_CHECK(false, "sampler_trace: a chain stage with no slot");
  return trace_slot::raw;
}

bool reshapes(trace_slot s) {
  return s == trace_slot::raw || s == trace_slot::repetition_penalty || s == trace_slot::temperature;
}

// Snapshot of c's members: prob from a softmax over them (reshaping) or from `last` (a cut).
trace_stage snapshot(trace_slot slot, std::string label, bool active, const candidate_array& c,
                     std::vector<float>& last) {
  trace_stage st;
  st.slot = slot;
  st.label = std::move(label);
  st.active = active;
  candidate_array copy = c;
  if (reshapes(slot) || slot == trace_slot::renormalized) {
    candidates_softmax(copy);
    if (slot != trace_slot::renormalized)
      for (const candidate& x : copy.items) last[x.id] = x.prob;
  } else {
    for (candidate& x : copy.items) x.prob = last[x.id];
  }
  std::sort(copy.items.begin(), copy.items.end(), [](const candidate& a, const candidate& b) {
    return a.prob > b.prob || (a.prob == b.prob && a.id < b.id);
  });
  st.mass = 0.0;
  for (const candidate& x : copy.items) st.mass += x.prob;
  st.members = std::move(copy.items);
  return st;
}

}  // namespace

const char* trace_slot_name(trace_slot s) {
  switch (s) {
    case trace_slot::raw: return "raw";
    case trace_slot::repetition_penalty: return "repetition_penalty";
    case trace_slot::temperature: return "temperature";
    case trace_slot::top_k: return "top_k";
    case trace_slot::top_p: return "top_p";
    case trace_slot::min_p: return "min_p";
    case trace_slot::renormalized: return "renormalized";
  }
  return "?";
}

sampler_trace sampler_trace_step(const float* logits, int V, std::span<const int> history,
                                 const sampler_config& config, uint64_t draws_before) {
  PLUMA_CHECK(sampler_config_validate(config).is_ok(), "sampler_trace_step: config fails validation");
  sampler_trace out;
  std::vector<float> last(static_cast<size_t>(V), 0.0f);  // (V) each id's prob after the last reshaping stage
  candidate_array c;
  c.reset(logits, V);
  out.stages.push_back(snapshot(trace_slot::raw, "softmax", true, c, last));

  const sampler_chain chain = sampler_chain_from_config(config);
  size_t next = 0;  // the chain's next stage
  for (int s = 1; s < trace_slot_count - 1; s++) {
    const auto slot = static_cast<trace_slot>(s);
    if (next < chain.stages.size() && slot_of(*chain.stages[next]) == slot) {
      const sampler_stage& stage = *chain.stages[next++];
      stage.apply(c, history);
      out.stages.push_back(snapshot(slot, stage.name(), true, c, last));
    } else {
      trace_stage off = out.stages.back();
      off.slot = slot;
      off.label = "off";
      off.active = false;
      out.stages.push_back(std::move(off));
    }
  }
  PLUMA_CHECK(next == chain.stages.size(), "sampler_trace: chain stages out of the fixed order");

  rng g(config.seed);
  g.discard(draws_before);  // each earlier draw took one uniform, i.e. one 64-bit step
  rng peek = g;
  out.uniform = peek.uniform_double();
  out.chosen = sampler_draw(c, g);  // sets c's probs to the renormalized ones
  out.stages.push_back(snapshot(trace_slot::renormalized, "renormalize", true, c, last));
  return out;
}

}  // namespace pluma
