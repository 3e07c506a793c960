// POST /api/sample: one step of the sampler chain on the real model, stage by stage.
// Request: {model, prompt, tokens, top, temperature, top_k, top_p, min_p, repetition_penalty, seed}.
//   tokens: ids drawn by earlier steps, fed after the prompt; the draw then uses the generator as it is after
//   that many draws, so stepping from a prompt reproduces `pluma generate --seed S` token by token.
// Answer: {"chain", "seed", "stages": [{"name", "label", "active", "kept", "mass"}] (raw, repetition_penalty,
//   temperature, top_k, top_p, min_p, renormalized), "rows": [{"id", "token", "probs": [one per stage, null
//   where cut]}] (the `top` most probable raw tokens, every survivor up to `top`, and the chosen one),
//   "chosen": {"id", "token", "text", "prob_raw", "prob_sampled", "uniform"}, "eos": bool}
#include <algorithm>

#include "generate/decode_loop.h"
#include "generate/sampler_trace.h"
#include "tools/serve/api.h"
#include "tools/serve/request.h"

namespace pluma::serve {

nlohmann::json api_sample(model_set& models, const std::string& body) {
  request_fields r(body, with_sampler_fields({"model", "prompt", "tokens", "top"}));
  served_model& m = model_for(models, r.get_string("model", ""));
  const sampler_config cfg = sampler_config_from_request(r);
  const int64_t top = r.get_int("top", 20);
  if (top < 1 || top > 1000) throw api_error(400, "top must be between 1 and 1000");
  const int V = m.model->vocab_size();
  std::vector<int> ids = prompt_to_ids(*m.tok, r.get_string("prompt", ""));
  const std::vector<int> drawn = r.get_ints("tokens");
  std::vector<int> checked;
  append_ids(checked, drawn, V);
  if (drawn.size() > 4096) throw api_error(400, "tokens: at most 4096 steps");

  decoder dec(*m.model);  // fed as generate_tokens feeds it: the prompt at once, then one token at a time
  dec.feed(ids);
  for (int id : drawn) dec.feed(id);
  const sampler_trace tr = sampler_trace_step(dec.logits().data(), V, dec.history(), cfg, drawn.size());

  // prob of every id at every stage; -1 where the stage cut it
  std::vector<std::vector<float>> at(tr.stages.size(), std::vector<float>(static_cast<size_t>(V), -1.0f));
  for (size_t s = 0; s < tr.stages.size(); s++)
    for (const candidate& c : tr.stages[s].members) at[s][c.id] = c.prob;
  std::vector<int> rows;
  const auto& raw = tr.stages.front().members;
  for (size_t i = 0; i < raw.size() && static_cast<int64_t>(i) < top; i++) rows.push_back(raw[i].id);
  const auto& kept = tr.stages.back().members;
  for (size_t i = 0; i < kept.size() && static_cast<int64_t>(i) < top; i++) rows.push_back(kept[i].id);
  rows.push_back(tr.chosen);
  std::sort(rows.begin(), rows.end(), [&](int a, int b) { return at[0][a] > at[0][b] || (at[0][a] == at[0][b] && a < b); });
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());

  nlohmann::json stages = nlohmann::json::array(), table = nlohmann::json::array();
  for (const auto& st : tr.stages)
    stages.push_back({{"name", trace_slot_name(st.slot)}, {"label", st.label}, {"active", st.active},
                      {"kept", st.members.size()}, {"mass", st.mass}});
  for (int id : rows) {
    nlohmann::json probs = nlohmann::json::array();
    for (size_t s = 0; s < tr.stages.size(); s++) probs.push_back(at[s][id] < 0 ? nlohmann::json(nullptr) : nlohmann::json(at[s][id]));
    table.push_back({{"id", id}, {"token", m.tok->id_to_piece(id)}, {"probs", probs}});
  }
  std::vector<int> after_ids = drawn;
  after_ids.push_back(tr.chosen);
  const std::string before_text = m.tok->decode(drawn), after_text = m.tok->decode(after_ids);
  const std::string text = after_text.compare(0, before_text.size(), before_text) == 0 ? after_text.substr(before_text.size())
                                                                                       : m.tok->decode({tr.chosen});
  return {{"chain", sampler_chain_from_config(cfg).describe()},
          {"seed", cfg.seed},
          {"stages", stages},
          {"rows", table},
          {"chosen", {{"id", tr.chosen}, {"token", m.tok->id_to_piece(tr.chosen)}, {"text", text},
                      {"prob_raw", at.front()[tr.chosen]}, {"prob_sampled", at.back()[tr.chosen]},
                      {"uniform", tr.uniform}}},
          {"eos", tr.chosen == eos_id}};
}

}  // namespace pluma::serve
