#include "generate/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/core/check.h"

namespace pluma {

void candidate_array::reset(const float* logits, int V) {
  PLUMA_CHECK(V > 0, "candidate_array::reset needs a vocabulary of at least one token");
  constexpr float inf = std::numeric_limits<float>::infinity();
  items.resize(static_cast<size_t>(V));
  bool bad = false;     // NaN or +inf seen
  bool finite = false;  // at least one finite logit
  for (int i = 0; i < V; i++) {
    float x = logits[i];
    items[i] = {i, x, 0.0f};
    bad |= !(x < inf);  // true for NaN and +inf
    finite |= (x > -inf);
  }
  PLUMA_CHECK(!bad, "logits contain NaN or +inf");
  PLUMA_CHECK(finite, "all logits are -inf: no token can be sampled");
  sorted = false;
}

void candidates_sort(candidate_array& c) {
  if (c.sorted) return;
  std::sort(c.items.begin(), c.items.end(), candidate_before);
  c.sorted = true;
}

float candidates_max_logit(const candidate_array& c) {
  PLUMA_CHECK(!c.items.empty(), "candidates_max_logit on an empty candidate array");
  if (c.sorted) return c.items.front().logit;
  float m = c.items.front().logit;
  for (const candidate& x : c.items) m = std::max(m, x.logit);
  return m;
}

void candidates_softmax(candidate_array& c) {
  const float max = candidates_max_logit(c);
  double sum = 0.0;
  for (candidate& x : c.items) {
    float e = std::exp(x.logit - max);  // in (0, 1]: float exp is exact enough and cheaper for large V
    x.prob = e;
    sum += e;
  }
  const double inv = 1.0 / sum;  // sum >= 1: the max contributes exp(0)
  for (candidate& x : c.items) x.prob = static_cast<float>(x.prob * inv);
}

void softmax_probs(const float* logits, int V, float temperature, std::vector<float>& out) {
  PLUMA_CHECK(V > 0, "softmax_probs needs a vocabulary of at least one token");
  PLUMA_CHECK(temperature >= 0.0f, "softmax_probs needs temperature >= 0");
  out.assign(static_cast<size_t>(V), 0.0f);
  int best = 0;  // first index of the maximum: ties go to the lowest id
  for (int i = 1; i < V; i++)
    if (logits[i] > logits[best]) best = i;
  if (temperature == 0.0f) {
    out[best] = 1.0f;
    return;
  }
  const double max = logits[best];
  const double inv_t = 1.0 / temperature;
  double sum = 0.0;
  for (int i = 0; i < V; i++) {
    double e = std::exp((logits[i] - max) * inv_t);  // <= 1, so a tiny temperature cannot overflow
    out[i] = static_cast<float>(e);
    sum += e;
  }
  const double inv = 1.0 / sum;
  for (int i = 0; i < V; i++) out[i] = static_cast<float>(out[i] * inv);
}

std::vector<token_prob> top_n(const float* probs, int V, int n) {
  n = std::clamp(n, 0, std::max(V, 0));
  std::vector<token_prob> all(static_cast<size_t>(std::max(V, 0)));
  for (int i = 0; i < V; i++) all[i] = {i, probs[i]};
  auto before = [](const token_prob& a, const token_prob& b) {
    return a.prob > b.prob || (a.prob == b.prob && a.id < b.id);
  };
  std::partial_sort(all.begin(), all.begin() + n, all.end(), before);
  all.resize(static_cast<size_t>(n));
  return all;
}

}  // namespace pluma
