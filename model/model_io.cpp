#include "model/model_io.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace pluma {

void checkpoint_add_model(checkpoint& ck, lm_model& m, const tokenizer& tok) {
  ck.metadata["format"] = checkpoint_format;
  ck.metadata["config"] = m.config_json().dump();
  nlohmann::json tj = {{"kind", tokenizer_kind_name(tok.kind())},
                       {"vocab_size", tok.vocab_size()},
                       {"hash", std::to_string(tokenizer_hash(tok))}};
  ck.metadata["tokenizer"] = tj.dump();
  for (const auto& spec : m.param_specs()) ck.add_f32(spec.name, spec.shape, m.params().at(spec));
  ck.add_u8("tokenizer", tok.serialize());
}

status checkpoint_load_model(const checkpoint& ck, std::unique_ptr<lm_model>& m,
                             std::unique_ptr<tokenizer>& tok) {
  auto fmt = ck.metadata.find("format");
  if (fmt == ck.metadata.end() || fmt->second != checkpoint_format)
    return status::error(std::string("not a pluma checkpoint (metadata \"format\" is not \"") +
                         checkpoint_format + "\")");
  auto cfg = ck.metadata.find("config");
  if (cfg == ck.metadata.end()) return status::error("checkpoint has no model config");
  nlohmann::json config = nlohmann::json::parse(cfg->second, nullptr, false);
  if (config.is_discarded()) return status::error("checkpoint's model config is not valid JSON");
  PLUMA_TRY(model_create(config, m).with_context("checkpoint's model config"));

  const checkpoint_tensor* tt = ck.find("tokenizer");
  if (!tt || tt->dtype != tensor_dtype::u8) return status::error("checkpoint carries no tokenizer");
  std::string_view bytes(reinterpret_cast<const char*>(tt->bytes.data()), tt->bytes.size());
  PLUMA_TRY(tokenizer_from_bytes(bytes, tok).with_context("checkpoint's tokenizer"));
  if (tok->vocab_size() != m->vocab_size())
    return status::error("checkpoint's tokenizer has " + std::to_string(tok->vocab_size()) +
                         " tokens but the model's vocabulary is " + std::to_string(m->vocab_size()));

  // Every parameter is checked before the first is copied: params() allocates the whole model, which a
  // hostile config could make far larger than the file.
  for (const auto& spec : m->param_specs()) {
    const checkpoint_tensor* t = ck.find(spec.name);
    if (!t) return status::error("checkpoint lacks parameter " + spec.name);
    if (t->dtype != tensor_dtype::f32 || t->shape != spec.shape)
      return status::error("checkpoint parameter " + spec.name + " has the wrong dtype or shape");
  }
  for (const auto& spec : m->param_specs())
    std::memcpy(m->params().at(spec), ck.find(spec.name)->bytes.data(), spec.numel() * sizeof(float));
  return status::ok();
}

status model_load(const std::string& path, std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok) {
  checkpoint ck;
  PLUMA_TRY(checkpoint_read(path, ck));
  return checkpoint_load_model(ck, m, tok).with_context(path);
}

}  // namespace pluma
