#include "model/rnn/lstm_config.h"
#include "model/model_limits.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

namespace pluma {

status lstm_config_validate(const lstm_config& c) {
  auto positive = [](const char* option, int v) {
    return v > 0 ? status::ok()
                 : status::error(std::string(option) + " must be positive (got " + std::to_string(v) + ")");
  };
  PLUMA_TRY(positive("--vocab-size", c.vocab_size));
  PLUMA_TRY(positive("--embd", c.embd));
  PLUMA_TRY(positive("--hidden", c.hidden));
  PLUMA_TRY(positive("--layers", c.layers));
  if (c.layers > max_layers)
    return status::error("--layers " + std::to_string(c.layers) + " is more than " + std::to_string(max_layers) +
                         " (the deepest model pluma builds)");
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    return status::error("--dropout must be in [0, 1) (got " + std::to_string(c.dropout) + ")");
  if (c.tie_weights && c.embd != c.hidden)
    return status::error("tied weights need --embd equal to --hidden (got " + std::to_string(c.embd) + " and " +
                         std::to_string(c.hidden) + ")");
  // Matrices are indexed with 32-bit counts per row block; refuse shapes beyond that.
  // (in double: the products of two ints can overflow 64 bits when the fields are hostile)
  const double H = c.hidden, wide = std::max(c.embd, c.hidden), limit = 2147483648.0;
  if (4 * H * wide >= limit || double(c.vocab_size) * wide >= limit)
    return status::error("the model is too large: --hidden " + std::to_string(c.hidden) + ", --embd " +
                         std::to_string(c.embd) + ", --vocab-size " + std::to_string(c.vocab_size));
  return status::ok();
}

nlohmann::json lstm_config_to_json(const lstm_config& c) {
  return {{"kind", "lstm"},         {"vocab_size", c.vocab_size},   {"embd", c.embd},
          {"hidden", c.hidden},     {"layers", c.layers},           {"dropout", c.dropout},
          {"tie_weights", c.tie_weights}, {"carry_state", c.carry_state}};
}

status lstm_config_from_json(const nlohmann::json& j, lstm_config& out) {
  if (!j.is_object()) return status::error("lstm config is not a JSON object");
  lstm_config c;
  for (auto [key, field] : {std::pair{"vocab_size", &c.vocab_size}, std::pair{"embd", &c.embd},
                            std::pair{"hidden", &c.hidden}, std::pair{"layers", &c.layers}}) {
    auto it = j.find(key);
    if (it == j.end()) return status::error(std::string("lstm config lacks \"") + key + "\"");
    if (!it->is_number_integer() || it->get<long long>() < INT32_MIN || it->get<long long>() > INT32_MAX)
      return status::error(std::string("lstm config \"") + key + "\" is not an integer: " + it->dump());
    *field = it->get<int>();
  }
  if (auto it = j.find("dropout"); it != j.end()) {
    if (!it->is_number()) return status::error("lstm config \"dropout\" is not a number: " + it->dump());
    c.dropout = it->get<float>();
  }
  for (auto [key, field] : {std::pair{"tie_weights", &c.tie_weights}, std::pair{"carry_state", &c.carry_state}}) {
    if (auto it = j.find(key); it != j.end()) {
      if (!it->is_boolean())
        return status::error(std::string("lstm config \"") + key + "\" is not true or false: " + it->dump());
      *field = it->get<bool>();
    }
  }
  PLUMA_TRY(lstm_config_validate(c));
  out = c;
  return status::ok();
}

}  // namespace pluma
