// lstm_config: the shape of the LSTM language model, its JSON form (checkpoint metadata, model factory) and
// its validation (messages name the CLI options).
#pragma once
#include <nlohmann/json.hpp>

#include "model/core/status.h"

namespace pluma {

struct lstm_config {
  int vocab_size = 0;        // V
  int embd = 0;              // E, the embedding width
  int hidden = 0;            // H
  int layers = 0;            // L
  float dropout = 0.0f;      // between layers and before the head, training only
  bool tie_weights = false;  // the head reuses emb.weight (needs embd == hidden); it keeps its own bias
  bool carry_state = true;   // truncated BPTT: a training batch starts from the previous batch's final (h, c)
};

status lstm_config_validate(const lstm_config& c);
nlohmann::json lstm_config_to_json(const lstm_config& c);   // {"kind": "lstm", ...}
status lstm_config_from_json(const nlohmann::json& j, lstm_config& out);

}  // namespace pluma
