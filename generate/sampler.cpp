#include "generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/core/check.h"

namespace pluma {

namespace {

// Slack for comparisons against a probability mass or ratio, so that a boundary the user computed
// exactly (e.g. top_p 0.8 over probs 0.5, 0.3, 0.2) is not lost to float rounding.
constexpr double k_rounding_slack = 1e-6;

std::string format_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

status sampler_config_validate(const sampler_config& c) {
  if (!(c.temperature >= 0.0f) || !std::isfinite(c.temperature))
    return status::error("temperature must be >= 0 (0 means greedy), got " + format_number(c.temperature));
  if (c.top_k < 0)
    return status::error("top_k must be >= 0 (0 turns it off), got " + std::to_string(c.top_k));
  if (!(c.top_p > 0.0f && c.top_p <= 1.0f))
    return status::error("top_p must be in (0, 1] (1 turns it off), got " + format_number(c.top_p));
  if (!(c.min_p >= 0.0f && c.min_p < 1.0f))
    return status::error("min_p must be in [0, 1) (0 turns it off), got " + format_number(c.min_p));
  if (!(c.repetition_penalty > 0.0f) || !std::isfinite(c.repetition_penalty))
    return status::error("repetition_penalty must be > 0 (1 turns it off), got " +
                         format_number(c.repetition_penalty));
  if (c.repetition_window < 0)
    return status::error("repetition_window must be >= 0 (0 means the whole history), got " +
                         std::to_string(c.repetition_window));
  return status::ok();
}

// ---- repetition penalty ----

std::string repetition_penalty_stage::name() const {
  return "repetition_penalty(" + format_number(penalty) + ", " + std::to_string(window) + ")";
}

void repetition_penalty_stage::apply(candidate_array& c, std::span<const int> history) const {
  if (penalty == 1.0f || history.empty() || c.items.empty()) return;
  if (window > 0 && history.size() > static_cast<size_t>(window)) history = history.last(window);
  std::vector<int> ids(history.begin(), history.end());  // (<= window) distinct ids, penalized once each
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

  // Right after reset the array is indexed by id; otherwise map ids to positions once (O(n)).
  std::vector<int> position;  // (max id + 1), -1 where the id is no longer a candidate
  auto find = [&](int id) -> candidate* {
    if (id < 0) return nullptr;
    if (position.empty()) {
      if (id < c.size() && c.items[id].id == id) return &c.items[id];
      int max_id = 0;
      for (const candidate& x : c.items) max_id = std::max(max_id, x.id);
      position.assign(static_cast<size_t>(max_id) + 1, -1);
      for (int i = 0; i < c.size(); i++) position[c.items[i].id] = i;
    }
    if (id >= static_cast<int>(position.size()) || position[id] < 0) return nullptr;
    return &c.items[position[id]];
  };
  bool changed = false;
  for (int id : ids) {
    candidate* x = find(id);
    if (!x) continue;
    x->logit = x->logit > 0.0f ? x->logit / penalty : x->logit * penalty;
    changed = true;
  }
  if (changed) c.sorted = false;
}

// ---- temperature ----

std::string temperature_stage::name() const { return "temperature(" + format_number(temperature) + ")"; }

void temperature_stage::apply(candidate_array& c, std::span<const int>) const {
  if (c.items.empty()) return;
  if (temperature == 0.0f) {  // greedy: keep the first maximum in candidate_before order
    candidate best = c.items.front();
    for (const candidate& x : c.items)
      if (candidate_before(x, best)) best = x;
    best.prob = 1.0f;
    c.items.assign(1, best);
    c.sorted = true;
    return;
  }
  if (temperature == 1.0f) return;
  const float max = candidates_max_logit(c);
  const double inv_t = 1.0 / temperature;
  for (candidate& x : c.items) x.logit = static_cast<float>((x.logit - max) * inv_t);
  // The map is monotone, but distinct logits can collapse into one value (e.g. both to -inf), and the
  // tie then goes by id: a sorted array may need sorting again.
  if (c.sorted && !std::is_sorted(c.items.begin(), c.items.end(), candidate_before)) c.sorted = false;
}

// ---- top-k ----

std::string top_k_stage::name() const { return "top_k(" + std::to_string(k) + ")"; }

void top_k_stage::apply(candidate_array& c, std::span<const int>) const {
  if (k <= 0 || k >= c.size()) return;
  if (!c.sorted) {
    if (k <= c.size() / 8) {
      // heap selection: most tokens cost one comparison against the k-th best so far, and the
      // kept prefix comes out sorted (which spares top-p its sort)
      std::partial_sort(c.items.begin(), c.items.begin() + k, c.items.end(), candidate_before);
      c.sorted = true;
    } else {
      std::nth_element(c.items.begin(), c.items.begin() + k, c.items.end(), candidate_before);
    }
  }
  c.items.resize(static_cast<size_t>(k));
}

// ---- top-p ----

std::string top_p_stage::name() const { return "top_p(" + format_number(p) + ")"; }

void top_p_stage::apply(candidate_array& c, std::span<const int>) const {
  if (p >= 1.0f || c.items.empty()) return;
  candidates_softmax(c);
  const double target = static_cast<double>(p) - k_rounding_slack;
  // length of the shortest prefix of the first `limit` items whose mass reaches p; 0 if none does
  auto prefix_reaching = [&](size_t limit) -> size_t {
    double mass = 0.0;
    for (size_t i = 0; i < limit; i++) {
      mass += c.items[i].prob;
      if (mass >= target) return i + 1;
    }
    return 0;
  };
  size_t keep = 0;
  if (!c.sorted) {
    // Tokens below (1 - p) / (2 n) hold less than (1 - p) / 2 together, so the prefix that reaches p
    // never needs them: dropping them first makes the sort short for a peaked distribution.
    const double floor = 0.5 * (1.0 - p) / static_cast<double>(c.items.size());
    auto end = std::remove_if(c.items.begin(), c.items.end(), [&](const candidate& x) { return x.prob < floor; });
    c.items.erase(end, c.items.end());
    // Then sort only as far as needed: the best 64, 256, 1024, ... until their mass reaches p.
    for (size_t m = 64; keep == 0; m *= 4) {
      if (m * 2 >= c.items.size()) {
        candidates_sort(c);
        break;
      }
      std::partial_sort(c.items.begin(), c.items.begin() + m, c.items.end(), candidate_before);
      keep = prefix_reaching(m);
    }
  }
  if (keep == 0) keep = prefix_reaching(c.items.size());
  if (keep == 0) keep = c.items.size();  // rounding kept the total just under p: keep everything
  c.items.resize(keep);
  c.sorted = true;
}

// ---- min-p ----

std::string min_p_stage::name() const { return "min_p(" + format_number(min_p) + ")"; }

void min_p_stage::apply(candidate_array& c, std::span<const int>) const {
  if (min_p <= 0.0f || c.items.empty()) return;
  const double threshold = candidates_max_logit(c) + std::log(static_cast<double>(min_p)) - k_rounding_slack;
  // remove_if keeps the order of what stays, so a sorted array stays sorted
  auto end = std::remove_if(c.items.begin(), c.items.end(),
                            [&](const candidate& x) { return x.logit < threshold; });
  c.items.erase(end, c.items.end());
}

// ---- the draw ----

int sampler_draw(candidate_array& c, rng& g) {
  PLUMA_CHECK(!c.items.empty(), "sampler_draw: the chain left no candidate");
  candidates_softmax(c);
  double total = 0.0;
  for (const candidate& x : c.items) total += x.prob;
  const double target = g.uniform_double() * total;  // in [0, total)
  double cumulative = 0.0;
  int last_possible = c.items.front().id;  // the last candidate with prob > 0, if rounding runs out
  for (const candidate& x : c.items) {
    if (x.prob <= 0.0f) continue;
    cumulative += x.prob;
    last_possible = x.id;
    if (target < cumulative) return x.id;
  }
  return last_possible;
}

// ---- the chain and the sampler ----

void sampler_chain::apply(candidate_array& c, std::span<const int> history) const {
  for (const auto& stage : stages) stage->apply(c, history);
}

std::string sampler_chain::describe() const {
  if (stages.empty()) return "none";
  std::string s;
  for (const auto& stage : stages) s += (s.empty() ? "" : " -> ") + stage->name();
  return s;
}

sampler_chain sampler_chain_from_config(const sampler_config& config) {
  sampler_chain chain;
  if (config.repetition_penalty != 1.0f)
    chain.add(std::make_unique<repetition_penalty_stage>(config.repetition_penalty, config.repetition_window));
  if (config.temperature != 1.0f) chain.add(std::make_unique<temperature_stage>(config.temperature));
  if (config.temperature == 0.0f) return chain;
  if (config.top_k > 0) chain.add(std::make_unique<top_k_stage>(config.top_k));
  if (config.top_p < 1.0f) chain.add(std::make_unique<top_p_stage>(config.top_p));
  if (config.min_p > 0.0f) chain.add(std::make_unique<min_p_stage>(config.min_p));
  return chain;
}

sampler::sampler(const sampler_config& config)
    : config_(config), chain_(sampler_chain_from_config(config)), rng_(config.seed) {
  PLUMA_CHECK(sampler_config_validate(config).is_ok(), "sampler built from a config that fails validation");
}

int sampler::sample(const float* logits, int V, std::span<const int> history) {
  candidates_.reset(logits, V);
  chain_.apply(candidates_, history);
  return sampler_draw(candidates_, rng_);
}

}  // namespace pluma
