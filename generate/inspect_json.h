// inspect_json: the JSON of `pluma probs --json` and `pluma score --json`, built in one place so the CLI and
// `pluma serve`'s /api/probs and /api/score answer with the same document.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generate/inspect.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

// {"prompt": prompt_text, "tokens": [{"token", "id", "prob", "children": [...]}, ...]}
nlohmann::json probs_json(const tokenizer& tok, const std::string& prompt_text, const std::vector<prob_node>& tree);

// {"tokens": [{"token", "id", "logprob", "surprisal_bits", "rank", "top": [{"token", "id", "prob"}]}],
//  "loss", "perplexity", "bits_per_char", "num_tokens", "num_chars"}
nlohmann::json score_json(const tokenizer& tok, const score_result& res);

}  // namespace pluma
