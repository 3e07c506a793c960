// seq2seq_io: see the header for the checkpoint's layout.
#include "model/rnn/seq2seq_io.h"

#include <cstring>

namespace pluma {
namespace {

nlohmann::json tokenizer_summary(const tokenizer& tok) {
  return {{"kind", tokenizer_kind_name(tok.kind())},
          {"vocab_size", tok.vocab_size()},
          {"hash", std::to_string(tokenizer_hash(tok))}};
}

status load_tokenizer(const checkpoint& ck, const char* name, int vocab_size, std::unique_ptr<tokenizer>& out) {
  const checkpoint_tensor* t = ck.find(name);
  if (!t || t->dtype != tensor_dtype::u8) return status::error(std::string("checkpoint carries no ") + name);
  std::string_view bytes(reinterpret_cast<const char*>(t->bytes.data()), t->bytes.size());
  PLUMA_TRY(tokenizer_from_bytes(bytes, out).with_context(std::string("checkpoint's ") + name));
  if (out->vocab_size() != vocab_size)
    return status::error(std::string("checkpoint's ") + name + " has " + std::to_string(out->vocab_size()) +
                         " tokens but the model's vocabulary is " + std::to_string(vocab_size));
  return status::ok();
}

}  // namespace

void seq2seq_checkpoint_add(checkpoint& ck, const seq2seq_model& m, const tokenizer& src_tok,
                            const tokenizer& tgt_tok) {
  ck.metadata["format"] = "pluma-1";
  ck.metadata["config"] = seq2seq_config_to_json(m.config()).dump();
  ck.metadata["tokenizer"] = tokenizer_summary(tgt_tok).dump();
  ck.metadata["src_tokenizer"] = tokenizer_summary(src_tok).dump();
  for (const auto& spec : m.param_specs()) ck.add_f32(spec.name, spec.shape, m.params().at(spec));
  ck.add_u8("tokenizer", tgt_tok.serialize());
  ck.add_u8("src_tokenizer", src_tok.serialize());
}

status seq2seq_checkpoint_load(const checkpoint& ck, std::unique_ptr<seq2seq_model>& m,
                               std::unique_ptr<tokenizer>& src_tok, std::unique_ptr<tokenizer>& tgt_tok) {
  auto fmt = ck.metadata.find("format");
  if (fmt == ck.metadata.end() || fmt->second != "pluma-1")
    return status::error("not a pluma checkpoint (metadata \"format\" is not \"pluma-1\")");
  auto cfg_it = ck.metadata.find("config");
  if (cfg_it == ck.metadata.end()) return status::error("checkpoint has no model config");
  const nlohmann::json config = nlohmann::json::parse(cfg_it->second, nullptr, false);
  if (config.is_discarded() || !config.is_object()) return status::error("checkpoint's model config is not valid JSON");
  if (config.contains("model") && config["model"] != "seq2seq")
    return status::error("checkpoint holds a " + config["model"].dump() +
                         " language model, not a translation model (train one with: pluma train --model seq2seq)");
  seq2seq_config cfg;
  PLUMA_TRY(seq2seq_config_from_json(config, cfg).with_context("checkpoint's model config"));
  auto model = std::make_unique<seq2seq_model>(cfg);
  PLUMA_TRY(load_tokenizer(ck, "src_tokenizer", cfg.src_vocab_size, src_tok));
  PLUMA_TRY(load_tokenizer(ck, "tokenizer", cfg.vocab_size, tgt_tok));
  for (const auto& spec : model->param_specs()) {
    const checkpoint_tensor* t = ck.find(spec.name);
    if (!t) return status::error("checkpoint lacks parameter " + spec.name);
    if (t->dtype != tensor_dtype::f32 || t->shape != spec.shape)
      return status::error("checkpoint parameter " + spec.name + " has the wrong dtype or shape");
    std::memcpy(model->params().at(spec), t->bytes.data(), spec.numel() * sizeof(float));
  }
  m = std::move(model);
  return status::ok();
}

status seq2seq_load(const std::string& path, std::unique_ptr<seq2seq_model>& m, std::unique_ptr<tokenizer>& src_tok,
                    std::unique_ptr<tokenizer>& tgt_tok) {
  checkpoint ck;
  PLUMA_TRY(checkpoint_read(path, ck));
  return seq2seq_checkpoint_load(ck, m, src_tok, tgt_tok).with_context(path);
}

status seq2seq_save(const std::string& path, const seq2seq_model& m, const tokenizer& src_tok,
                    const tokenizer& tgt_tok, const nlohmann::json& training) {
  checkpoint ck;
  seq2seq_checkpoint_add(ck, m, src_tok, tgt_tok);
  if (!training.is_null()) ck.metadata["training"] = training.dump();
  return checkpoint_write(path, ck);
}

std::vector<int> seq2seq_encode(const tokenizer& tok, std::string_view text, bool space_prefix) {
  if (!space_prefix || text.empty()) return tok.encode(text);
  return tok.encode(" " + std::string(text));
}

std::string seq2seq_decode(const tokenizer& tok, const std::vector<int>& ids, bool space_prefix) {
  std::string text = tok.decode(ids);
  if (space_prefix && !text.empty() && text[0] == ' ') text.erase(0, 1);
  return text;
}

}  // namespace pluma
