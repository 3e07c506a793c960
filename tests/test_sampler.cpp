// The sampler chain on hand-built logits: each stage, the greedy limit, the seeded draw's distribution.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "generate/candidates.h"
#include "generate/sampler.h"

using namespace pluma;

namespace {

// logits whose softmax is exactly `probs` (up to float rounding), shifted so the max is not 0
std::vector<float> logits_for(const std::vector<double>& probs, double shift = 1.7) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p) + shift));
  return l;
}

candidate_array array_of(const std::vector<float>& logits) {
  candidate_array c;
  c.reset(logits.data(), static_cast<int>(logits.size()));
  return c;
}

std::vector<int> ids_of(const candidate_array& c) {
  std::vector<int> ids;
  for (const candidate& x : c.items) ids.push_back(x.id);
  return ids;
}

std::vector<int> sorted_ids(const candidate_array& c) {
  std::vector<int> ids = ids_of(c);
  std::sort(ids.begin(), ids.end());
  return ids;
}

int argmax_lowest(const std::vector<float>& l) {
  return static_cast<int>(std::max_element(l.begin(), l.end()) - l.begin());  // first maximum
}

std::vector<float> random_logits(rng& g, int V, int distinct_levels = 0) {
  std::vector<float> l(V);
  for (float& x : l)
    x = distinct_levels > 0 ? static_cast<float>(g.below(distinct_levels)) * 0.5f : 3.0f * g.normal();
  return l;
}

// Pearson's chi-square of observed counts against expected probabilities.
double chi_square(const std::vector<long>& counts, const std::vector<double>& expected) {
  long n = std::accumulate(counts.begin(), counts.end(), 0L);
  double chi = 0;
  for (size_t i = 0; i < counts.size(); i++) {
    double e = expected[i] * n;
    chi += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi;
}

std::vector<long> draw_counts(const sampler_config& cfg, const std::vector<float>& logits, int draws) {
  sampler s(cfg);
  std::vector<long> counts(logits.size(), 0);
  for (int i = 0; i < draws; i++) counts[s.sample(logits.data(), static_cast<int>(logits.size()))]++;
  return counts;
}

}  // namespace

TEST_CASE("candidate array is built indexed by id, unsorted") {
  candidate_array c = array_of({0.5f, -1.0f, 2.0f});
  REQUIRE(c.size() == 3);
  CHECK(ids_of(c) == std::vector<int>{0, 1, 2});
  CHECK(c.items[2].logit == 2.0f);
  CHECK(!c.sorted);
  candidates_sort(c);
  CHECK(ids_of(c) == std::vector<int>{2, 0, 1});
  CHECK(c.sorted);
  CHECK(candidates_max_logit(c) == 2.0f);
}

TEST_CASE("softmax_probs: hand values, temperature, greedy one-hot, no overflow") {
  std::vector<float> l = logits_for({0.5, 0.3, 0.2});
  std::vector<float> p;
  softmax_probs(l.data(), 3, 1.0f, p);
  CHECK(p[0] == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(p[1] == doctest::Approx(0.3).epsilon(1e-6));
  CHECK(p[2] == doctest::Approx(0.2).epsilon(1e-6));

  // temperature 2: p_i proportional to sqrt(p_i)
  softmax_probs(l.data(), 3, 2.0f, p);
  double z = std::sqrt(0.5) + std::sqrt(0.3) + std::sqrt(0.2);
  CHECK(p[0] == doctest::Approx(std::sqrt(0.5) / z).epsilon(1e-6));
  CHECK(p[2] == doctest::Approx(std::sqrt(0.2) / z).epsilon(1e-6));

  std::vector<float> ties = {1.0f, 4.0f, 4.0f, -2.0f};
  softmax_probs(ties.data(), 4, 0.0f, p);
  CHECK(p == std::vector<float>{0.0f, 1.0f, 0.0f, 0.0f});

  std::vector<float> huge = {1000.0f, 999.0f};
  softmax_probs(huge.data(), 2, 0.001f, p);  // (1000-999)/0.001 = 1000: exp(-1000) underflows to 0
  CHECK(p[0] == 1.0f);
  CHECK(p[1] == 0.0f);

  rng g(3);
  std::vector<float> big = random_logits(g, 50000);
  softmax_probs(big.data(), 50000, 0.7f, p);
  double sum = 0;
  for (float x : p) sum += x;
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
}

TEST_CASE("top_n returns (id, prob) descending, ties by id, n clamped") {
  std::vector<float> p = {0.1f, 0.3f, 0.05f, 0.3f, 0.25f};
  std::vector<token_prob> t = top_n(p.data(), 5, 3);
  REQUIRE(t.size() == 3);
  CHECK(t[0].id == 1);
  CHECK(t[1].id == 3);
  CHECK(t[2].id == 4);
  CHECK(t[2].prob == 0.25f);
  CHECK(top_n(p.data(), 5, 99).size() == 5);
  CHECK(top_n(p.data(), 5, 99).back().id == 2);
  CHECK(top_n(p.data(), 5, 0).empty());
}

TEST_CASE("top-k keeps exactly k: the highest logits, ties to the lower id") {
  rng g(11);
  for (int trial = 0; trial < 50; trial++) {
    int V = 1 + static_cast<int>(g.below(300));
    int k = 1 + static_cast<int>(g.below(V + 5));
    std::vector<float> l = random_logits(g, V, 6);  // few levels: many ties at the cut
    candidate_array c = array_of(l);
    top_k_stage(k).apply(c, {});
    int expect_n = std::min(k, V);
    REQUIRE(c.size() == expect_n);
    // reference: full ranking by (logit desc, id asc)
    std::vector<int> order(V);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
    std::vector<int> want(order.begin(), order.begin() + expect_n);
    std::sort(want.begin(), want.end());
    CHECK(sorted_ids(c) == want);
  }
  candidate_array c = array_of({1, 2, 3});
  top_k_stage(0).apply(c, {});
  CHECK(c.size() == 3);
  // a small k over a large array comes out sorted (heap selection)
  std::vector<float> l = random_logits(g, 1000);
  c = array_of(l);
  top_k_stage(5).apply(c, {});
  CHECK(c.sorted);
  CHECK(std::is_sorted(c.items.begin(), c.items.end(), candidate_before));
}

TEST_CASE("top-p keeps the smallest prefix with mass >= p, boundaries included") {
  // probs by id: 0.1, 0.5, 0.2, 0.2 -> descending order 1 (0.5), 2 (0.2), 3 (0.2), 0 (0.1)
  std::vector<float> l = logits_for({0.1, 0.5, 0.2, 0.2});
  auto kept = [&](float p) {
    candidate_array c = array_of(l);
    top_p_stage(p).apply(c, {});
    CHECK(c.sorted == (p < 1.0f));
    return ids_of(c);
  };
  CHECK(kept(0.01f) == std::vector<int>{1});           // at least one
  CHECK(kept(0.5f) == std::vector<int>{1});            // mass exactly 0.5
  CHECK(kept(0.5001f) == std::vector<int>{1, 2});      // the tie at 0.2 goes to the lower id
  CHECK(kept(0.7f) == std::vector<int>{1, 2});         // 0.5 + 0.2 exactly
  CHECK(kept(0.7001f) == std::vector<int>{1, 2, 3});
  CHECK(kept(0.9f) == std::vector<int>{1, 2, 3});      // 0.9 exactly
  CHECK(kept(0.95f) == std::vector<int>{1, 2, 3, 0});
  CHECK(kept(1.0f) == std::vector<int>{0, 1, 2, 3});   // off: untouched, unsorted

  // the mass is over the current candidates: after top-k 2, {1: 0.5, 2: 0.2} renormalize to 0.714, 0.286
  candidate_array c = array_of(l);
  top_k_stage(2).apply(c, {});
  top_p_stage(0.7f).apply(c, {});
  CHECK(ids_of(c) == std::vector<int>{1});
  c = array_of(l);
  top_k_stage(2).apply(c, {});
  top_p_stage(0.72f).apply(c, {});
  CHECK(ids_of(c) == std::vector<int>{1, 2});
}

TEST_CASE("top-p on large vocabularies keeps the same prefix as a full sort") {
  rng g(31);
  for (int trial = 0; trial < 40; trial++) {
    int V = 100 + static_cast<int>(g.below(20000));
    float sigma = 0.5f + 4.0f * g.uniform();  // flat to peaked: few or many tokens kept
    float p = 0.05f + 0.94f * g.uniform();
    std::vector<float> l(V);
    for (float& x : l) x = sigma * g.normal();
    if (trial % 4 == 0)
      for (float& x : l) x = std::round(x);  // many ties
    // reference: rank by (logit desc, id asc), double softmax, first prefix with mass >= p
    std::vector<int> order(V);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
    double z = 0;
    for (float x : l) z += std::exp(double(x) - l[order[0]]);
    double mass = 0;
    size_t n = 0;
    while (n < order.size() && mass < p - 1e-6) mass += std::exp(double(l[order[n++]]) - l[order[0]]) / z;
    std::vector<int> want(order.begin(), order.begin() + n);
    candidate_array c = array_of(l);
    top_p_stage(p).apply(c, {});
    CAPTURE(V);
    CAPTURE(sigma);
    CAPTURE(p);
    CHECK(ids_of(c) == want);
  }
}

TEST_CASE("min-p keeps tokens with prob >= min_p * max prob, in order") {
  std::vector<float> l = logits_for({0.4, 0.2, 0.1, 0.3});
  auto kept = [&](float m) {
    candidate_array c = array_of(l);
    min_p_stage(m).apply(c, {});
    return ids_of(c);
  };
  CHECK(kept(0.0f) == std::vector<int>{0, 1, 2, 3});
  CHECK(kept(0.25f) == std::vector<int>{0, 1, 2, 3});  // 0.1 == 0.25 * 0.4 exactly
  CHECK(kept(0.26f) == std::vector<int>{0, 1, 3});
  CHECK(kept(0.5f) == std::vector<int>{0, 1, 3});      // 0.2 == 0.5 * 0.4 exactly
  CHECK(kept(0.51f) == std::vector<int>{0, 3});
  CHECK(kept(0.99f) == std::vector<int>{0});           // the max always stays
}

TEST_CASE("repetition penalty: positive logits divided, negative multiplied, once per id, in the window") {
  std::vector<float> l = {2.0f, -1.0f, 0.5f, 3.0f, -2.0f};
  std::vector<int> history = {0, 1, 1, 4, 0};
  auto logits_after = [&](float penalty, int window, candidate_array c) {
    repetition_penalty_stage(penalty, window).apply(c, history);
    std::vector<float> out(5, NAN);
    for (const candidate& x : c.items) out[x.id] = x.logit;
    return out;
  };
  CHECK(logits_after(2.0f, 0, array_of(l)) == std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f, -4.0f});
  CHECK(logits_after(2.0f, 2, array_of(l)) == std::vector<float>{1.0f, -1.0f, 0.5f, 3.0f, -4.0f});
  CHECK(logits_after(0.5f, 0, array_of(l)) == std::vector<float>{4.0f, -0.5f, 0.5f, 3.0f, -1.0f});

  // on an array no longer indexed by id (after top-k): found by id; dropped ids are skipped
  candidate_array c = array_of(l);
  top_k_stage(3).apply(c, {});  // keeps 3, 0, 2
  std::vector<float> after = logits_after(2.0f, 0, c);
  CHECK(after[0] == 1.0f);
  CHECK(after[3] == 3.0f);
  CHECK(std::isnan(after[1]));

  // ids outside the vocabulary are ignored
  c = array_of(l);
  std::vector<int> odd = {-1, 9, 3};
  repetition_penalty_stage(2.0f, 0).apply(c, odd);
  CHECK(c.items[3].logit == 1.5f);
  CHECK(c.items[0].logit == 2.0f);

  // through the sampler, greedy: the penalty changes the winner for positive and negative logits
  sampler_config cfg;
  cfg.temperature = 0;
  cfg.repetition_penalty = 2.0f;
  sampler s(cfg);
  std::vector<float> pos = {3.0f, 2.0f}, neg = {-1.0f, -1.5f};
  std::vector<int> h0 = {0};
  CHECK(s.sample(pos.data(), 2, h0) == 1);  // 1.5 < 2
  CHECK(s.sample(neg.data(), 2, h0) == 1);  // -2 < -1.5
  CHECK(s.sample(pos.data(), 2) == 0);      // no history, no penalty
}

TEST_CASE("temperature scales the distribution; temperature -> 0 is the argmax, ties to the lowest id") {
  std::vector<float> l = logits_for({0.5, 0.3, 0.2});
  candidate_array c = array_of(l);
  temperature_stage(0.5f).apply(c, {});
  candidates_softmax(c);
  double z = 0.25 + 0.09 + 0.04;  // p^(1/0.5)
  CHECK(c.items[0].prob == doctest::Approx(0.25 / z).epsilon(1e-6));
  CHECK(c.items[2].prob == doctest::Approx(0.04 / z).epsilon(1e-6));

  std::vector<float> ties = {1.0f, 5.0f, -3.0f, 5.0f, 2.0f};
  sampler_config greedy;
  greedy.temperature = 0;
  sampler s(greedy);
  for (int i = 0; i < 10; i++) CHECK(s.sample(ties.data(), 5) == 1);
  CHECK(s.candidates().size() == 1);

  rng g(5);
  sampler_config cold;
  cold.temperature = 1e-3f;
  sampler sc(cold);
  sampler_config frozen;
  frozen.temperature = 1e-30f;  // would overflow logit / T without the max shift
  sampler sf(frozen);
  for (int trial = 0; trial < 100; trial++) {
    std::vector<float> r = random_logits(g, 257);
    int want = argmax_lowest(r);
    CHECK(s.sample(r.data(), 257) == want);
    CHECK(sf.sample(r.data(), 257) == want);
    // a 1e-3 temperature puts all but exp(-gap / 1e-3) of the mass on the argmax
    std::vector<float> sorted = r;
    std::sort(sorted.rbegin(), sorted.rend());
    if (sorted[0] - sorted[1] > 0.05f) CHECK(sc.sample(r.data(), 257) == want);
  }
}

TEST_CASE("top-k 1 gives the same tokens as temperature 0") {
  sampler_config a, b;
  a.temperature = 0;
  b.top_k = 1;
  b.temperature = 0.9f;
  b.top_p = 0.9f;
  a.repetition_penalty = b.repetition_penalty = 1.3f;
  a.seed = 1;
  b.seed = 2;
  sampler sa(a), sb(b);
  rng g(21);
  std::vector<int> history;
  for (int step = 0; step < 300; step++) {
    std::vector<float> l = random_logits(g, 97, step % 2 ? 5 : 0);  // alternate: with and without ties
    int ta = sa.sample(l.data(), 97, history);
    int tb = sb.sample(l.data(), 97, history);
    REQUIRE(ta == tb);
    history.push_back(ta);
  }
}

TEST_CASE("the draw follows the distribution (chi-square, 200000 draws, fixed seed)") {
  const int draws = 200000;
  // df = 5: P(chi2 > 20.52) = 0.001 for a correct sampler
  const double critical_df5 = 20.52, critical_df3 = 16.27;
  std::vector<double> p = {0.35, 0.25, 0.15, 0.12, 0.08, 0.05};
  sampler_config cfg;
  cfg.seed = 12345;
  std::vector<long> counts = draw_counts(cfg, logits_for(p), draws);
  double chi = chi_square(counts, p);
  MESSAGE("chi-square (df 5) = " << chi);
  CHECK(chi < critical_df5);
  // the test has the power to see a bias: the same counts against a distribution with 0.015 moved
  // from the first token to the last fail it
  std::vector<double> biased = p;
  biased[0] -= 0.015;
  biased[5] += 0.015;
  CHECK(chi_square(counts, biased) > critical_df5);
  // a sampler that never picks the least likely token fails outright
  std::vector<long> starved = counts;
  starved[0] += starved[5];
  starved[5] = 1;
  CHECK(chi_square(starved, p) > critical_df5);

  // through the chain: temperature 0.7 then top-k 4 -> p_i^(1/0.7) over the top 4, renormalized
  cfg.temperature = 0.7f;
  cfg.top_k = 4;
  cfg.seed = 99;
  counts = draw_counts(cfg, logits_for(p), draws);
  std::vector<double> want(6, 0.0);
  double z = 0;
  for (int i = 0; i < 4; i++) z += want[i] = std::pow(p[i], 1 / 0.7);
  for (double& w : want) w /= z;
  CHECK(counts[4] == 0);
  CHECK(counts[5] == 0);
  counts.resize(4);
  want.resize(4);
  double chi_chain = chi_square(counts, want);
  MESSAGE("chi-square through temperature + top-k (df 3) = " << chi_chain);
  CHECK(chi_chain < critical_df3);
}

TEST_CASE("same seed, same tokens; different seeds, different tokens; the generator resumes") {
  rng g(8);
  std::vector<std::vector<float>> steps;
  for (int i = 0; i < 400; i++) steps.push_back(random_logits(g, 64, 3));
  auto run = [&](uint64_t seed, int from, int to, sampler* s = nullptr) {
    sampler_config cfg;
    cfg.seed = seed;
    cfg.top_p = 0.95f;
    sampler own(cfg);
    if (!s) s = &own;
    std::vector<int> out;
    for (int i = from; i < to; i++) out.push_back(s->sample(steps[i].data(), 64));
    return out;
  };
  std::vector<int> a = run(7, 0, 400), b = run(7, 0, 400), c = run(8, 0, 400);
  CHECK(a == b);
  int differ = 0;
  for (size_t i = 0; i < a.size(); i++) differ += a[i] != c[i];
  CHECK(differ > 100);  // flat-ish over ~20 tokens: most positions differ

  // copying the generator mid-run continues the same stream
  sampler_config cfg;
  cfg.seed = 7;
  cfg.top_p = 0.95f;
  sampler first(cfg), second(cfg);
  std::vector<int> head = run(0, 0, 150, &first);
  second.generator() = first.generator();
  CHECK(run(0, 150, 400, &second) == std::vector<int>(a.begin() + 150, a.end()));
}

TEST_CASE("invalid configs give their messages") {
  CHECK(sampler_config_validate(sampler_config{}).is_ok());
  auto message = [](auto edit) {
    sampler_config c;
    edit(c);
    status st = sampler_config_validate(c);
    return st.is_ok() ? std::string("ok") : st.message();
  };
  CHECK(message([](sampler_config& c) { c.temperature = -1; }) ==
        "temperature must be >= 0 (0 means greedy), got -1");
  CHECK(message([](sampler_config& c) { c.temperature = NAN; }) ==
        "temperature must be >= 0 (0 means greedy), got nan");
  CHECK(message([](sampler_config& c) { c.top_k = -3; }) == "top_k must be >= 0 (0 turns it off), got -3");
  CHECK(message([](sampler_config& c) { c.top_p = 0; }) == "top_p must be in (0, 1] (1 turns it off), got 0");
  CHECK(message([](sampler_config& c) { c.top_p = 1.5f; }) ==
        "top_p must be in (0, 1] (1 turns it off), got 1.5");
  CHECK(message([](sampler_config& c) { c.min_p = 1; }) == "min_p must be in [0, 1) (0 turns it off), got 1");
  CHECK(message([](sampler_config& c) { c.min_p = -0.5f; }) ==
        "min_p must be in [0, 1) (0 turns it off), got -0.5");
  CHECK(message([](sampler_config& c) { c.repetition_penalty = 0; }) ==
        "repetition_penalty must be > 0 (1 turns it off), got 0");
  CHECK(message([](sampler_config& c) { c.repetition_window = -1; }) ==
        "repetition_window must be >= 0 (0 means the whole history), got -1");
  CHECK(message([](sampler_config& c) {
          c.temperature = 0;
          c.top_k = 1;
          c.top_p = 1;
          c.min_p = 0;
        }) == "ok");
}

TEST_CASE("the chain holds only the stages that are on, in order") {
  sampler_config cfg;
  CHECK(sampler_chain_from_config(cfg).describe() == "none");
  cfg.temperature = 0.8f;
  cfg.top_k = 40;
  cfg.top_p = 0.95f;
  cfg.min_p = 0.05f;
  cfg.repetition_penalty = 1.1f;
  CHECK(sampler_chain_from_config(cfg).describe() ==
        "repetition_penalty(1.1, 64) -> temperature(0.8) -> top_k(40) -> top_p(0.95) -> min_p(0.05)");
  cfg.temperature = 0;
  CHECK(sampler_chain_from_config(cfg).describe() == "repetition_penalty(1.1, 64) -> temperature(0)");
}

TEST_CASE("a full chain over a 50k vocabulary draws from the kept set with renormalized probs") {
  rng g(17);
  std::vector<float> l = random_logits(g, 50000);
  sampler_config cfg;
  cfg.temperature = 0.8f;
  cfg.top_k = 40;
  cfg.top_p = 0.9f;
  cfg.min_p = 0.02f;
  cfg.repetition_penalty = 1.2f;
  sampler s(cfg);
  std::vector<int> order(50000);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + 40, order.end(), [&](int a, int b) { return l[a] > l[b]; });
  std::set<int> top40(order.begin(), order.begin() + 40);
  std::vector<int> history(order.begin(), order.begin() + 5);  // penalize the 5 best
  for (int i = 0; i < 20; i++) {
    int t = s.sample(l.data(), 50000, history);
    CHECK(top40.count(t) == 1);
    const candidate_array& kept = s.candidates();
    CHECK(kept.size() >= 1);
    CHECK(kept.size() <= 40);
    double sum = 0;
    for (const candidate& x : kept.items) sum += x.prob;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
  }
}
