#include "model/model_io.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace pluma {

namespace {

nlohmann::json tokenizer_summary(const tokenizer& tok) {
  return {{"kind", tokenizer_kind_name(tok.kind())},
          {"vocab_size", tok.vocab_size()},
          {"hash", std::to_string(tokenizer_hash(tok))}};
}

status load_tokenizer(const checkpoint& ck, const std::string& name, int vocab_size, std::unique_ptr<tokenizer>& out) {
  PLUMA_TRY(checkpoint_tokenizer(ck, name, out));
  if (out->vocab_size() != vocab_size)
    return status::error("checkpoint's " + name + " has " + std::to_string(out->vocab_size()) +
                         " tokens but the model's vocabulary is " + std::to_string(vocab_size));
  return status::ok();
}

}  // namespace

status checkpoint_tokenizer(const checkpoint& ck, const std::string& name, std::unique_ptr<tokenizer>& out) {
  const checkpoint_tensor* t = ck.find(name);
  if (!t || t->dtype != tensor_dtype::u8) return status::error("checkpoint carries no " + name);
  std::string_view bytes(reinterpret_cast<const char*>(t->bytes.data()), t->bytes.size());
  return tokenizer_from_bytes(bytes, out).with_context("checkpoint's " + name);
}

void checkpoint_put_arena(checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                          const arena& a) {
  for (const auto& t : specs) ck.add_f32(prefix + t.name, t.shape, a.at(t));
}

status checkpoint_check_arena(const checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs) {
  for (const auto& t : specs) {
    const checkpoint_tensor* ct = ck.find(prefix + t.name);
    if (!ct) return status::error("checkpoint lacks tensor " + prefix + t.name);
    if (ct->dtype != tensor_dtype::f32 || ct->shape != t.shape || ct->bytes.size() != t.numel() * sizeof(float))
      return status::error("checkpoint tensor " + prefix + t.name + " has another type or shape than the model's");
  }
  return status::ok();
}

status checkpoint_get_arena(const checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                            arena& a) {
  PLUMA_TRY(checkpoint_check_arena(ck, prefix, specs));
  for (const auto& t : specs) {
    const checkpoint_tensor* ct = ck.find(prefix + t.name);
    std::memcpy(a.at(t), ct->bytes.data(), ct->bytes.size());
  }
  return status::ok();
}

void checkpoint_add_model(checkpoint& ck, trainable& m, const tokenizer& tok, const tokenizer* src_tok,
                          const arena* params) {
  ck.metadata["format"] = checkpoint_format;
  ck.metadata["config"] = m.config_json().dump();
  ck.metadata["tokenizer"] = tokenizer_summary(tok).dump();
  if (src_tok) ck.metadata["src_tokenizer"] = tokenizer_summary(*src_tok).dump();
  checkpoint_put_arena(ck, "", m.param_specs(), params ? *params : m.params());
  ck.add_u8("tokenizer", tok.serialize());
  if (src_tok) ck.add_u8("src_tokenizer", src_tok->serialize());
}

status checkpoint_load_trainable(const checkpoint& ck, std::unique_ptr<trainable>& m, std::unique_ptr<tokenizer>& tok,
                                 std::unique_ptr<tokenizer>& src_tok) {
  auto fmt = ck.metadata.find("format");
  if (fmt == ck.metadata.end() || fmt->second != checkpoint_format)
    return status::error(std::string("not a pluma checkpoint (metadata \"format\" is not \"") +
                         checkpoint_format + "\")");
  auto cfg = ck.metadata.find("config");
  if (cfg == ck.metadata.end()) return status::error("checkpoint has no model config");
  nlohmann::json config = nlohmann::json::parse(cfg->second, nullptr, false);
  if (config.is_discarded() || !config.is_object()) return status::error("checkpoint's model config is not valid JSON");
  // translators written before the config key "kind" named their kind "model"
  if (!config.contains("kind") && config.contains("model")) config["kind"] = config["model"];
  PLUMA_TRY(trainable_create(config, m).with_context("checkpoint's model config"));
  if (m->kind() == model_kind::seq2seq) {
    const nlohmann::json j = m->config_json();
    PLUMA_TRY(load_tokenizer(ck, "src_tokenizer", j.at("src_vocab_size").get<int>(), src_tok));
    PLUMA_TRY(load_tokenizer(ck, "tokenizer", j.at("vocab_size").get<int>(), tok));
  } else {
    PLUMA_TRY(load_tokenizer(ck, "tokenizer", static_cast<lm_model&>(*m).vocab_size(), tok));
    src_tok.reset();
  }
  // Every tensor is checked before params() allocates the model, which a hostile config could make far
  // larger than the file.
  PLUMA_TRY(checkpoint_check_arena(ck, "", m->param_specs()));
  return checkpoint_get_arena(ck, "", m->param_specs(), m->params());
}

status checkpoint_load_model(const checkpoint& ck, std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok) {
  std::unique_ptr<trainable> t;
  std::unique_ptr<tokenizer> src;
  PLUMA_TRY(checkpoint_load_trainable(ck, t, tok, src));
  if (t->kind() == model_kind::seq2seq)
    return status::error("checkpoint holds a seq2seq translator, not a language model (use it with pluma translate)");
  m.reset(static_cast<lm_model*>(t.release()));
  return status::ok();
}

status model_load(const std::string& path, std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok) {
  checkpoint ck;
  PLUMA_TRY(checkpoint_read(path, ck, checkpoint_for_use));   // not the optimizer's moments (2x the parameters)
  return checkpoint_load_model(ck, m, tok).with_context(path);
}

}  // namespace pluma
