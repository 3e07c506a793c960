#include "generate/inspect_json.h"

#include <cmath>

namespace pluma {

namespace {

nlohmann::json tree_json(const tokenizer& tok, const std::vector<prob_node>& nodes) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& n : nodes)
    arr.push_back({{"token", tok.id_to_piece(n.id)}, {"id", n.id}, {"prob", n.prob},
                   {"children", tree_json(tok, n.children)}});
  return arr;
}

}  // namespace

nlohmann::json probs_json(const tokenizer& tok, const std::string& prompt_text, const std::vector<prob_node>& tree) {
  return {{"prompt", prompt_text}, {"tokens", tree_json(tok, tree)}};
}

nlohmann::json score_json(const tokenizer& tok, const score_result& res) {
  nlohmann::json toks = nlohmann::json::array();
  for (const auto& t : res.tokens) {
    nlohmann::json alts = nlohmann::json::array();
    for (const auto& a : t.top) alts.push_back({{"token", tok.id_to_piece(a.id)}, {"id", a.id}, {"prob", a.prob}});
    toks.push_back({{"token", tok.id_to_piece(t.id)}, {"id", t.id}, {"logprob", t.logprob},
                    {"surprisal_bits", -t.logprob / std::log(2.0)}, {"rank", t.rank}, {"top", alts}});
  }
  return {{"tokens", toks}, {"loss", res.loss}, {"perplexity", res.perplexity},
          {"bits_per_char", res.bits_per_char}, {"num_tokens", res.tokens.size()}, {"num_chars", res.chars}};
}

}  // namespace pluma
