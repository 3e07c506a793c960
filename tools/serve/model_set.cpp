#include "tools/serve/model_set.h"

#include <filesystem>

#include "model/checkpoint.h"
#include "model/model_io.h"

namespace pluma::serve {

namespace {

nlohmann::json parse_or_null(const std::map<std::string, std::string>& meta, const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end()) return nullptr;
  nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

nlohmann::json make_card(const served_model& s, const checkpoint& ck, const std::string& path) {
  size_t params = 0;
  for (const auto& spec : s.owned->param_specs()) params += spec.numel();
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  return {{"name", s.name},
          {"file", std::filesystem::path(path).filename().string()},
          {"file_bytes", ec ? 0 : bytes},
          {"kind", model_kind_name(s.owned->kind())},
          {"parameters", params},
          {"vocab_size", s.owned->vocab_size()},
          {"context_length", s.owned->context_length()},
          {"config", s.owned->config_json()},
          {"tokenizer", {{"kind", tokenizer_kind_name(s.tok->kind())}, {"vocab_size", s.tok->vocab_size()}}},
          {"training", parse_or_null(ck.metadata, "training")}};
}

}  // namespace

status model_set::load(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    checkpoint ck;
    PLUMA_TRY(checkpoint_read(path, ck, checkpoint_for_use));
    auto s = std::make_unique<served_model>();
    PLUMA_TRY(checkpoint_load_model(ck, s->owned, s->tok).with_context(path));
    if (s->owned->kind() == model_kind::seq2seq)
      return status::error(path + ": a seq2seq model translates; pluma serve shows language models (GPT, LSTM)");
    s->model = std::make_unique<locked_model>(*s->owned);
    s->model->share_decoding_weights(true);   // the server only samples: its requests share one packed copy
    std::string stem = std::filesystem::path(path).stem().string();
    s->name = stem;
    for (int n = 2; find(s->name); n++) s->name = stem + "-" + std::to_string(n);
    s->card = make_card(*s, ck, path);
    models_.push_back(std::move(s));
  }
  return status::ok();
}

served_model* model_set::find(const std::string& name) {
  if (name.empty()) return models_.empty() ? nullptr : models_.front().get();
  for (auto& m : models_)
    if (m->name == name) return m.get();
  return nullptr;
}

std::string model_set::names() const {
  std::string s;
  for (const auto& m : models_) s += (s.empty() ? "" : ", ") + m->name;
  return s;
}

}  // namespace pluma::serve
