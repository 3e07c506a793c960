// api: the JSON endpoints of `pluma serve`, as functions from a request body to a JSON answer (no HTTP here,
// so tests call them directly). Mistakes throw api_error (request.h).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "tools/serve/model_set.h"

namespace pluma::serve {

// GET /api/models: {"models": [card, ...]}
nlohmann::json api_models(const model_set& models);
// POST /api/tokenize {model, text}: {"tokens": [{"id", "token"}]}, the pieces the tokenizer cuts.
nlohmann::json api_tokenize(model_set& models, const std::string& body);
// POST /api/probs {model, prompt, tokens, top, depth, temperature}: pluma probs --json's document. tokens (ids,
// optional) continue the prompt: the page's tree expands a path with them.
nlohmann::json api_probs(model_set& models, const std::string& body);
// POST /api/score {model, text, top}: pluma score --json's document.
nlohmann::json api_score(model_set& models, const std::string& body);
// POST /api/sample {model, prompt, tokens, top, temperature, top_k, top_p, min_p, repetition_penalty, seed}:
// one step of the sampler, stage by stage (see api_sample.cpp for the document).
nlohmann::json api_sample(model_set& models, const std::string& body);

// The model a request names ("model" field, default the first), or a 400 listing the loaded ones.
served_model& model_for(model_set& models, const std::string& name);
// The prompt's ids as the CLI makes them: "" -> <sos>; text that encodes to nothing is a 400.
std::vector<int> prompt_to_ids(const tokenizer& tok, const std::string& prompt);
// Appends ids, each checked to be below V (a 400 otherwise).
void append_ids(std::vector<int>& ids, const std::vector<int>& more, int V);

}  // namespace pluma::serve
