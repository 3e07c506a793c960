// candidates: the one array a sampler chain works on (token id, logit, prob), plus helpers over a
// full next-token distribution shared by sampling and inspection (`probs`, `score`).
#pragma once
#include <vector>

namespace pluma {

struct candidate {
  int id;       // token id in [0, V)
  float logit;  // current logit, after the stages applied so far
  float prob;   // softmax over the array's current members; valid after candidates_softmax
};

struct candidate_array {
  std::vector<candidate> items;  // (n), n <= V; after reset: items[i].id == i, n == V
  bool sorted = false;           // items in candidate_before order (descending logit, ties by ascending id)

  // Fills one candidate per token from logits (V). Logits may be -inf (a masked token) but not NaN or
  // +inf, and at least one must be finite (an internal check: a model producing such logits is a bug).
  void reset(const float* logits, int V);
  int size() const { return static_cast<int>(items.size()); }
};

// The order used everywhere a ranking is needed: higher logit first, equal logits by lower id.
inline bool candidate_before(const candidate& a, const candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}
// Sorts the array in candidate_before order (no-op when already sorted).
void candidates_sort(candidate_array& c);
// Largest logit among the members (O(1) when sorted). The array must not be empty.
float candidates_max_logit(const candidate_array& c);
// Sets prob of every member to its softmax over the current members (exp accumulated in double).
void candidates_softmax(candidate_array& c);

// The full distribution over the vocabulary at a temperature: out (V) = softmax(logits / temperature),
// with max-subtraction before dividing and exp sums accumulated in double. temperature 0 gives the
// greedy one-hot distribution (all mass on the argmax, ties to the lowest id). temperature must be >= 0.
void softmax_probs(const float* logits, int V, float temperature, std::vector<float>& out);

struct token_prob {
  int id;
  float prob;
};
// The n most probable tokens of probs (V), descending by prob, equal probs by ascending id.
// n is clamped to [0, V]. Cost O(V log n).
std::vector<token_prob> top_n(const float* probs, int V, int n);

}  // namespace pluma
