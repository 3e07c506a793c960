// Model kinds and the factory: config_json() -> the model, switching on the "kind" field.
#include "model/model.h"

#include "model/gpt/gpt.h"
#include "model/rnn/lstm_lm.h"
#include "model/rnn/seq2seq.h"

namespace pluma {

const char* model_kind_name(model_kind k) {
  switch (k) {
    case model_kind::gpt: return "gpt";
    case model_kind::lstm: return "lstm";
    case model_kind::seq2seq: return "seq2seq";
  }
  return "?";
}

status model_kind_parse(const std::string& name, model_kind& out) {
  for (model_kind k : {model_kind::gpt, model_kind::lstm, model_kind::seq2seq}) {
    if (name == model_kind_name(k)) {
      out = k;
      return status::ok();
    }
  }
  return status::error("unknown model kind '" + name + "' (expected gpt, lstm or seq2seq)");
}

train_batch train_batch::rows(int first, int count) const {
  train_batch r = *this;
  r.B = count;
  const size_t off = static_cast<size_t>(first);
  r.inputs = inputs ? inputs + off * T : nullptr;
  r.targets = targets ? targets + off * T : nullptr;
  r.src = src ? src + off * S : nullptr;
  r.src_len = src_len ? src_len + off : nullptr;
  r.tgt_len = tgt_len ? tgt_len + off : nullptr;
  return r;
}

long train_batch::scored(int first, int count) const {
  if (!tgt_len) return static_cast<long>(count) * T;
  long n = 0;
  for (int b = first; b < first + count; b++) n += tgt_len[b];
  return n;
}

status trainable::set_device(const exec_context& ctx) {
  if (ctx.dev == device::cpu) return status::ok();
  return status::error(std::string("the ") + model_kind_name(kind()) +
                       " model runs on the CPU only (the CUDA backend runs gpt models); use --device cpu");
}

void lm_model::decode_prefill(decode_state& state, const int* tokens, int T, float* logits) {
  const int B = state.batch;
  std::vector<int> step(static_cast<size_t>(B));   // (B) the tokens of one position
  for (int t = 0; t < T; t++) {
    for (int b = 0; b < B; b++) step[b] = tokens[static_cast<size_t>(b) * T + t];
    decode_step(state, step.data(), logits);
  }
}

status trainable_create(const nlohmann::json& config, std::unique_ptr<trainable>& out) {
  if (!config.is_object()) return status::error("model config is not a JSON object");
  auto kind_it = config.find("kind");
  if (kind_it == config.end() || !kind_it->is_string())
    return status::error("model config has no \"kind\" (gpt, lstm or seq2seq)");
  model_kind kind;
  PLUMA_TRY(model_kind_parse(kind_it->get<std::string>(), kind));
  switch (kind) {
    case model_kind::gpt: {
      gpt_config c;
      PLUMA_TRY(gpt_config_from_json(config, c));
      out = std::make_unique<gpt_model>(c);
      return status::ok();
    }
    case model_kind::lstm: {
      lstm_config c;
      PLUMA_TRY(lstm_config_from_json(config, c));
      out = std::make_unique<lstm_lm>(c);
      return status::ok();
    }
    case model_kind::seq2seq: {
      seq2seq_config c;
      PLUMA_TRY(seq2seq_config_from_json(config, c));   // validates, as the other kinds' from_json do
      out = std::make_unique<seq2seq_model>(c);
      return status::ok();
    }
  }
  return status::error(std::string("model kind '") + model_kind_name(kind) + "' is not built into this pluma");
}

status model_create(const nlohmann::json& config, std::unique_ptr<lm_model>& out) {
  std::unique_ptr<trainable> m;
  PLUMA_TRY(trainable_create(config, m));
  if (m->kind() == model_kind::seq2seq)
    return status::error("the model is a seq2seq translator, not a language model (use it with pluma translate)");
  out.reset(static_cast<lm_model*>(m.release()));
  return status::ok();
}

}  // namespace pluma
