// model_set: the checkpoints `pluma serve` loaded at start. Requests choose one by name, never by path.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/core/status.h"
#include "tools/serve/locked_model.h"
#include "tokenizer/tokenizer.h"

namespace pluma::serve {

struct served_model {
  std::string name;                    // the file's stem ("shakespeare" for runs/shakespeare.pluma), unique
  std::unique_ptr<lm_model> owned;     // the loaded model
  std::unique_ptr<locked_model> model; // what requests use
  std::unique_ptr<tokenizer> tok;
  nlohmann::json card;                 // GET /api/models: name, kind, config, tokenizer, parameters, training
};

class model_set {
 public:
  // Loads each checkpoint (a language model: GPT or LSTM). Errors name the file.
  status load(const std::vector<std::string>& paths);
  // The model called `name`; "" means the first. nullptr when there is none of that name.
  served_model* find(const std::string& name);
  const std::vector<std::unique_ptr<served_model>>& all() const { return models_; }
  std::string names() const;           // "a, b" for error messages

 private:
  std::vector<std::unique_ptr<served_model>> models_;
};

}  // namespace pluma::serve
