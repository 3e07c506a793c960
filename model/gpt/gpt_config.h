// gpt_config: the shape of a GPT (sizes, dropout, bias), its validation and its JSON form.
#pragma once
#include <nlohmann/json.hpp>

#include "model/core/status.h"

namespace pluma {

struct gpt_config {
  int vocab_size = 0;
  int context = 64;      // max positions (learned position embedding rows)
  int layers = 4;
  int heads = 4;
  int embd = 128;
  float dropout = 0.0f;  // on the embedding sum, the attention output projection and the MLP output
  bool bias = true;      // biases in every Linear and LayerNorm (the LM head never has one)
};

// The widest attention head (embd / heads) a GPT may have: the CUDA attention kernels' limit.
inline constexpr int gpt_max_head_width = 128;

// Positive sizes, heads dividing embd, head width at most gpt_max_head_width, dropout in [0, 1): a message
// naming the option otherwise.
status gpt_config_validate(const gpt_config& c);
// {"kind": "gpt", "vocab_size", "context", "layers", "heads", "embd", "dropout", "bias"}
nlohmann::json gpt_config_to_json(const gpt_config& c);
// Reads and validates what gpt_config_to_json wrote ("kind" is not checked here).
status gpt_config_from_json(const nlohmann::json& j, gpt_config& out);

}  // namespace pluma
