#include "tools/serve/api.h"

#include "generate/inspect.h"
#include "generate/inspect_json.h"
#include "tools/serve/request.h"

namespace pluma::serve {

nlohmann::json api_models(const model_set& models) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& m : models.all()) arr.push_back(m->card);
  return {{"models", arr}};
}

served_model& model_for(model_set& models, const std::string& name) {
  served_model* m = models.find(name);
  if (!m) throw api_error(400, "unknown model '" + name + "'; loaded: " + models.names());
  return *m;
}

std::vector<int> prompt_to_ids(const tokenizer& tok, const std::string& prompt) {
  if (prompt.empty()) return {sos_id};
  std::vector<int> ids = tok.encode(prompt);
  if (ids.empty()) throw api_error(400, "the prompt has no tokens");
  return ids;
}

void append_ids(std::vector<int>& ids, const std::vector<int>& more, int V) {
  for (int id : more) {
    if (id >= V)
      throw api_error(400, "tokens: id " + std::to_string(id) + " is not below the vocabulary size " + std::to_string(V));
    ids.push_back(id);
  }
}

nlohmann::json api_tokenize(model_set& models, const std::string& body) {
  request_fields r(body, {"model", "text"});
  served_model& m = model_for(models, r.get_string("model", ""));
  nlohmann::json arr = nlohmann::json::array();
  for (int id : m.tok->encode(r.get_string("text", ""))) arr.push_back({{"id", id}, {"token", m.tok->id_to_piece(id)}});
  return {{"tokens", arr}};
}

nlohmann::json api_probs(model_set& models, const std::string& body) {
  request_fields r(body, {"model", "prompt", "tokens", "top", "depth", "temperature"});
  served_model& m = model_for(models, r.get_string("model", ""));
  const std::string prompt = r.get_string("prompt", "");
  const int64_t top = r.get_int("top", 5), depth = r.get_int("depth", 1);
  const double temperature = r.get_number("temperature", 1.0);
  // the messages of pluma probs
  if (top < 1) throw api_error(400, "top must be at least 1");
  if (depth < 1 || depth > 6) throw api_error(400, "depth must be between 1 and 6");
  if (!(temperature >= 0) || temperature > 1e30) throw api_error(400, "temperature must be >= 0");
  const int64_t nodes = tree_nodes(top, depth, m.model->vocab_size());
  if (nodes > max_tree_nodes)
    throw api_error(413, "a tree of top " + std::to_string(top) + " and depth " + std::to_string(depth) +
                             " has more than " + std::to_string(max_tree_nodes) + " nodes (lower top or depth)");
  std::vector<int> ids = prompt_to_ids(*m.tok, prompt);
  append_ids(ids, r.get_ints("tokens"), m.model->vocab_size());
  auto tree = next_token_tree(*m.model, ids, static_cast<int>(top), static_cast<int>(depth),
                              static_cast<float>(temperature));
  return probs_json(*m.tok, prompt, tree);
}

nlohmann::json api_score(model_set& models, const std::string& body) {
  request_fields r(body, {"model", "text", "top"});
  served_model& m = model_for(models, r.get_string("model", ""));
  if (!r.has("text")) throw api_error(400, "'text' is required");
  const std::string text = r.get_string("text", "");
  const int64_t top = r.get_int("top", 3);
  if (top < 0) throw api_error(400, "top must be >= 0");
  if (top > 100) throw api_error(400, "top must be at most 100");
  if (text.empty()) throw api_error(400, "text is empty");  // (JSON strings are valid UTF-8 already)
  std::vector<int> ids = m.tok->encode(text);
  if (ids.size() < 2) throw api_error(400, "text has fewer than 2 tokens: nothing to score");
  score_result res;
  score_tokens(*m.model, *m.tok, ids, static_cast<int>(top), res);
  return score_json(*m.tok, res);
}

}  // namespace pluma::serve
