// The sampler stage trace (generate/sampler_trace.h): the draw it shows is the sampler's, stage by stage the
// members are what the chain keeps, and the probabilities are the ones the page says they are.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "generate/sampler.h"
#include "generate/sampler_trace.h"
#include "model/core/rng.h"

using namespace pluma;

namespace {

std::vector<float> random_logits(int V, uint64_t seed) {
  rng g(seed);
  std::vector<float> l(static_cast<size_t>(V));
  for (float& x : l) x = 4.0f * (g.uniform() - 0.5f) + (g.uniform() < 0.05f ? 5.0f : 0.0f);
  return l;
}

double mass(const trace_stage& s) {
  double m = 0;
  for (const candidate& c : s.members) m += c.prob;
  return m;
}

}  // namespace

TEST_CASE("trace: the chosen token is the sampler's, draw after draw") {
  const int V = 300;
  std::vector<sampler_config> configs(6);
  configs[1].temperature = 0.7f;
  configs[1].top_k = 40;
  configs[2].top_p = 0.8f;
  configs[3].min_p = 0.1f;
  configs[3].repetition_penalty = 1.3f;
  configs[4].temperature = 0.0f;
  configs[5].temperature = 1.4f;
  configs[5].top_k = 100;
  configs[5].top_p = 0.9f;
  configs[5].min_p = 0.02f;
  configs[5].repetition_penalty = 1.1f;
  const std::vector<int> history = {5, 17, 17, 250, 3};
  for (size_t ci = 0; ci < configs.size(); ci++) {
    sampler_config cfg = configs[ci];
    cfg.seed = 1000 + ci;
    sampler smp(cfg);
    for (uint64_t k = 0; k < 20; k++) {
      const std::vector<float> logits = random_logits(V, 77 + k);
      const int want = smp.sample(logits.data(), V, history);
      const sampler_trace tr = sampler_trace_step(logits.data(), V, history, cfg, k);
      CAPTURE(ci);
      CAPTURE(k);
      REQUIRE(tr.stages.size() == static_cast<size_t>(trace_slot_count));
      CHECK(tr.chosen == want);
      CHECK(tr.uniform >= 0.0);
      CHECK(tr.uniform < 1.0);
      // the last stage holds exactly the sampler's survivors, with the draw's probabilities
      CHECK(tr.stages.back().members.size() == smp.candidates().items.size());
      CHECK(mass(tr.stages.back()) == doctest::Approx(1.0).epsilon(1e-5));
    }
  }
}

TEST_CASE("trace: stages in the fixed order; off stages repeat; cuts keep the earlier probabilities") {
  const int V = 50;
  const std::vector<float> logits = random_logits(V, 3);
  sampler_config cfg;
  cfg.top_k = 10;
  cfg.min_p = 0.2f;
  cfg.seed = 5;
  const sampler_trace tr = sampler_trace_step(logits.data(), V, {}, cfg);
  const char* names[] = {"raw", "repetition_penalty", "temperature", "top_k", "top_p", "min_p", "renormalized"};
  for (int s = 0; s < trace_slot_count; s++) CHECK(std::string(trace_slot_name(tr.stages[s].slot)) == names[s]);
  CHECK(tr.stages[0].members.size() == static_cast<size_t>(V));
  CHECK(mass(tr.stages[0]) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK_FALSE(tr.stages[1].active);  // penalty 1: off
  CHECK_FALSE(tr.stages[2].active);  // temperature 1: off
  CHECK(tr.stages[2].label == "off");
  CHECK(tr.stages[3].active);
  CHECK(tr.stages[3].label == "top_k(10)");
  CHECK(tr.stages[3].members.size() == 10);
  // top-k keeps the 10 most probable raw tokens with their raw probabilities (mass below 1)
  for (int i = 0; i < 10; i++) {
    CHECK(tr.stages[3].members[i].id == tr.stages[0].members[i].id);
    CHECK(tr.stages[3].members[i].prob == tr.stages[0].members[i].prob);
  }
  CHECK(mass(tr.stages[3]) < 0.999);
  CHECK_FALSE(tr.stages[4].active);
  // min-p: every survivor has at least 0.2 of the top probability, every cut token less
  const float top = tr.stages[5].members.front().prob;
  for (const candidate& c : tr.stages[5].members) CHECK(c.prob >= 0.2f * top * 0.9999f);
  CHECK(tr.stages[5].members.size() <= 10);
  // renormalized: the same members, mass 1, each prob scaled by the same factor
  const trace_stage& last = tr.stages[6];
  REQUIRE(last.members.size() == tr.stages[5].members.size());
  const double scale = 1.0 / mass(tr.stages[5]);
  for (size_t i = 0; i < last.members.size(); i++) {
    CHECK(last.members[i].id == tr.stages[5].members[i].id);
    CHECK(last.members[i].prob == doctest::Approx(tr.stages[5].members[i].prob * scale).epsilon(1e-4));
  }
}

TEST_CASE("trace: temperature 0 leaves the argmax alone; temperature sharpens") {
  const int V = 40;
  const std::vector<float> logits = random_logits(V, 11);
  sampler_config greedy;
  greedy.temperature = 0;
  const sampler_trace g = sampler_trace_step(logits.data(), V, {}, greedy);
  CHECK(g.stages[2].members.size() == 1);
  CHECK(g.chosen == g.stages[0].members.front().id);
  sampler_config cold;
  cold.temperature = 0.5f;
  const sampler_trace c = sampler_trace_step(logits.data(), V, {}, cold);
  CHECK(c.stages[2].members.front().id == c.stages[0].members.front().id);
  CHECK(c.stages[2].members.front().prob > c.stages[0].members.front().prob);
}

TEST_CASE("trace: the repetition penalty lowers the tokens of the history") {
  const int V = 20;
  std::vector<float> logits(V, 0.0f);
  logits[7] = 2.0f;
  sampler_config cfg;
  cfg.repetition_penalty = 2.0f;
  const std::vector<int> history = {7};
  const sampler_trace tr = sampler_trace_step(logits.data(), V, history, cfg);
  float raw7 = 0, pen7 = 0;
  for (const candidate& x : tr.stages[0].members) if (x.id == 7) raw7 = x.prob;
  for (const candidate& x : tr.stages[1].members) if (x.id == 7) pen7 = x.prob;
  CHECK(tr.stages[1].active);
  CHECK(pen7 < raw7);
  CHECK(pen7 == doctest::Approx(std::exp(1.0) / (std::exp(1.0) + 19)).epsilon(1e-4));
}
