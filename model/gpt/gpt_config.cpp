#include "model/gpt/gpt_config.h"
#include "model/model_limits.h"

#include <cstdint>
#include <string>

namespace pluma {

status gpt_config_validate(const gpt_config& c) {
  auto positive = [](const char* option, int v) {
    return v > 0 ? status::ok()
                 : status::error(std::string(option) + " must be positive (got " + std::to_string(v) + ")");
  };
  PLUMA_TRY(positive("--vocab-size", c.vocab_size));
  PLUMA_TRY(positive("--context", c.context));
  PLUMA_TRY(positive("--layers", c.layers));
  PLUMA_TRY(positive("--heads", c.heads));
  PLUMA_TRY(positive("--embd", c.embd));
  if (c.layers > max_layers)
    return status::error("--layers " + std::to_string(c.layers) + " is more than " + std::to_string(max_layers) +
                         " (the deepest model pluma builds)");
  if (c.embd % c.heads != 0)
    return status::error("--heads " + std::to_string(c.heads) + " does not divide --embd " +
                         std::to_string(c.embd) + " (each head gets embd/heads channels)");
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    return status::error("--dropout must be in [0, 1) (got " + std::to_string(c.dropout) + ")");
  // Activations are indexed with 32-bit counts per (position, channel); refuse shapes beyond that.
  // (in double: the products of two ints can overflow 64 bits when the fields are hostile)
  const double limit = 2147483648.0, C = c.embd;
  if (4 * C * C >= limit || double(c.vocab_size) * C >= limit || double(c.context) * c.context >= limit)
    return status::error("the model is too large: --embd " + std::to_string(c.embd) + ", --vocab-size " +
                         std::to_string(c.vocab_size) + ", --context " + std::to_string(c.context));
  // The CUDA attention kernels hold a query row in registers, instantiated for head widths up to 128
  // (model/ops/cuda/attention.cu); refused here for every device, so a model trained on the CPU can also
  // run on a GPU. At 128, ptxas already reports 255 registers and spills in those kernels: a target for tuning.
  if (c.embd / c.heads > gpt_max_head_width)
    return status::error("head width --embd / --heads = " + std::to_string(c.embd / c.heads) + " is above " +
                         std::to_string(gpt_max_head_width) + ": use more heads (at least " +
                         std::to_string((c.embd + gpt_max_head_width - 1) / gpt_max_head_width) + ")");
  return status::ok();
}

nlohmann::json gpt_config_to_json(const gpt_config& c) {
  return {{"kind", "gpt"},       {"vocab_size", c.vocab_size}, {"context", c.context},
          {"layers", c.layers},  {"heads", c.heads},           {"embd", c.embd},
          {"dropout", c.dropout}, {"bias", c.bias}};
}

status gpt_config_from_json(const nlohmann::json& j, gpt_config& out) {
  if (!j.is_object()) return status::error("gpt config is not a JSON object");
  gpt_config c;
  for (auto [key, field] : {std::pair{"vocab_size", &c.vocab_size}, std::pair{"context", &c.context},
                            std::pair{"layers", &c.layers}, std::pair{"heads", &c.heads},
                            std::pair{"embd", &c.embd}}) {
    auto it = j.find(key);
    if (it == j.end()) return status::error(std::string("gpt config lacks \"") + key + "\"");
    if (!it->is_number_integer() || it->get<long long>() < INT32_MIN || it->get<long long>() > INT32_MAX)
      return status::error(std::string("gpt config \"") + key + "\" is not an integer: " + it->dump());
    *field = it->get<int>();
  }
  if (auto it = j.find("dropout"); it != j.end()) {
    if (!it->is_number()) return status::error("gpt config \"dropout\" is not a number: " + it->dump());
    c.dropout = it->get<float>();
  }
  if (auto it = j.find("bias"); it != j.end()) {
    if (!it->is_boolean()) return status::error("gpt config \"bias\" is not true or false: " + it->dump());
    c.bias = it->get<bool>();
  }
  PLUMA_TRY(gpt_config_validate(c));
  out = c;
  return status::ok();
}

}  // namespace pluma
