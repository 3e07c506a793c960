#include "train/train_config.h"

#include <cmath>

#include "train/text_format.h"

namespace pluma {

namespace {

status positive(const char* option, double value) {
  if (std::isfinite(value) && value > 0) return status::ok();
  return status::error(std::string(option) + " must be positive (got " + format_g(value) + ")");
}

status non_negative(const char* option, double value) {
  if (std::isfinite(value) && value >= 0) return status::ok();
  return status::error(std::string(option) + " must be 0 or more (got " + format_g(value) + ")");
}

}  // namespace

const char* train_preset_names() { return "baby, shakespeare-char, char-rnn-small, char-rnn"; }

void train_model_defaults(model_kind kind, train_config& cfg) {
  cfg = train_config{};
  cfg.model = kind;
  if (kind != model_kind::lstm) return;
  // char-rnn's defaults, with Adam (PyTorch's betas) in place of RMSprop and the global-norm clip in place of
  // the element-wise one; no learning-rate decay.
  cfg.layers = 2, cfg.hidden = 128, cfg.embd = 0, cfg.context = 50, cfg.batch = 50, cfg.dropout = 0.0f;
  cfg.schedule = lr_schedule{lr_schedule_kind::constant, 2e-3, 0, 0, 0};
  cfg.optim = optimizer_config{optimizer_kind::adam, 0.9f, 0.999f, 1e-8f, 0.0f};
  cfg.grad_clip = 5.0f;
  cfg.sampler = sampler_kind::stream;
  cfg.iters = 5000;
  cfg.eval_interval = 250;
  cfg.eval_iters = 20;
}

status train_preset_apply(const std::string& name, train_config& cfg) {
  if (name == "char-rnn-small" || name == "char-rnn") {
    train_model_defaults(model_kind::lstm, cfg);
    if (name == "char-rnn") {
      cfg.layers = 3, cfg.hidden = 512, cfg.dropout = 0.5f, cfg.context = 100;
      cfg.eval_interval = 500;
    }
    return status::ok();
  }
  if (name != "baby" && name != "shakespeare-char")
    return status::error("unknown preset '" + name + "' (expected one of: " + train_preset_names() + ")");
  // Both: a pre-LN GPT trained with AdamW, lr 1e-3 -> 1e-4 cosine after 100 warmup iterations,
  // betas (0.9, 0.99), weight decay 0.1, clip 1.0, evaluated every 250 iterations over 20 batches.
  train_model_defaults(model_kind::gpt, cfg);
  cfg.bias = true;
  cfg.schedule = lr_schedule{lr_schedule_kind::cosine, 1e-3, 1e-4, 100, 0};
  cfg.optim = optimizer_config{optimizer_kind::adamw, 0.9f, 0.99f, 1e-8f, 0.1f};
  cfg.grad_clip = 1.0f;
  cfg.grad_accum = 1;
  cfg.eval_interval = 250;
  cfg.eval_iters = 20;
  if (name == "baby") {
    cfg.layers = 4, cfg.heads = 4, cfg.embd = 128, cfg.context = 64;
    cfg.batch = 12, cfg.dropout = 0.0f, cfg.iters = 2000;
  } else {
    cfg.layers = 6, cfg.heads = 6, cfg.embd = 384, cfg.context = 256;
    cfg.batch = 64, cfg.dropout = 0.2f, cfg.iters = 5000;
  }
  return status::ok();
}

status train_config_check(const train_config& c) {
  PLUMA_TRY(positive("--layers", c.layers));
  PLUMA_TRY(positive("--context", c.context));
  if (c.model == model_kind::gpt) {
    PLUMA_TRY(positive("--heads", c.heads));
    PLUMA_TRY(positive("--embd", c.embd));
    if (c.embd % c.heads != 0)
      return status::error("--heads (" + std::to_string(c.heads) + ") must divide --embd (" +
                           std::to_string(c.embd) + ") so that every head has the same width");
  } else {
    PLUMA_TRY(positive("--hidden", c.hidden));
    PLUMA_TRY(non_negative("--embd", c.embd));
  }
  if (!(c.dropout >= 0 && c.dropout < 1))
    return status::error("--dropout must be in [0, 1) (got " + format_g(c.dropout) + ")");
  if (c.vocab_size < 0) return status::error("--vocab-size must be 0 (the default) or more");
  if (!(c.val_fraction > 0 && c.val_fraction < 1))
    return status::error("--val-fraction must be between 0 and 1 (got " + format_g(c.val_fraction) + ")");
  PLUMA_TRY(positive("--batch", c.batch));
  PLUMA_TRY(positive("--grad-accum", c.grad_accum));
  if (c.batch % c.grad_accum != 0)
    return status::error("--batch (" + std::to_string(c.batch) + ") must be divisible by --grad-accum (" +
                         std::to_string(c.grad_accum) + "): each micro-batch has batch/grad-accum sequences");
  PLUMA_TRY(positive("--iters", c.iters));
  PLUMA_TRY(positive("--lr", c.schedule.lr_max));
  PLUMA_TRY(non_negative("--lr-min", c.schedule.lr_min));
  if (c.schedule.kind == lr_schedule_kind::cosine && c.schedule.lr_min > c.schedule.lr_max)
    return status::error("--lr-min (" + format_g(c.schedule.lr_min) + ") is above --lr (" + format_g(c.schedule.lr_max) +
                         "); the cosine schedule decays from --lr down to --lr-min");
  PLUMA_TRY(non_negative("--warmup", c.schedule.warmup_iters));
  PLUMA_TRY(non_negative("--lr-decay-iters", c.schedule.decay_iters));
  if (!(c.optim.beta1 >= 0 && c.optim.beta1 < 1)) return status::error("--beta1 must be in [0, 1) (got " + format_g(c.optim.beta1) + ")");
  if (!(c.optim.beta2 >= 0 && c.optim.beta2 < 1)) return status::error("--beta2 must be in [0, 1) (got " + format_g(c.optim.beta2) + ")");
  PLUMA_TRY(positive("--eps", c.optim.eps));
  PLUMA_TRY(non_negative("--weight-decay", c.optim.weight_decay));
  PLUMA_TRY(non_negative("--grad-clip", c.grad_clip));
  PLUMA_TRY(positive("--eval-interval", c.eval_interval));
  PLUMA_TRY(positive("--eval-iters", c.eval_iters));
  PLUMA_TRY(positive("--log-interval", c.log_interval));
  PLUMA_TRY(non_negative("--checkpoint-interval", c.checkpoint_interval));
  PLUMA_TRY(non_negative("--max-time", c.max_time_s));
  PLUMA_TRY(non_negative("--threads", c.threads));
  if (c.out.empty()) return status::error("--out must name the checkpoint file to write");
  return status::ok();
}

status duration_parse(const std::string& text, double& seconds) {
  const std::string hint = "; use a number of seconds with an optional suffix s, m or h (e.g. 90s, 10m, 1.5h)";
  if (text.empty()) return status::error("empty duration" + hint);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return status::error("bad duration '" + text + "'" + hint);
  }
  std::string unit = text.substr(used);
  double mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (mult < 0 || !std::isfinite(v) || v < 0) return status::error("bad duration '" + text + "'" + hint);
  seconds = v * mult;
  return status::ok();
}

nlohmann::json train_config_to_json(const train_config& c) {
  return {
      {"model", model_kind_name(c.model)}, {"layers", c.layers}, {"heads", c.heads}, {"embd", c.embd},
      {"hidden", c.hidden}, {"context", c.context}, {"dropout", c.dropout}, {"bias", c.bias},
      {"data", c.data}, {"tokenizer", c.tokenizer}, {"vocab_size", c.vocab_size},
      {"val_fraction", c.val_fraction}, {"sampler", sampler_kind_name(c.sampler)}, {"batch", c.batch}, {"grad_accum", c.grad_accum}, {"iters", c.iters},
      {"lr_schedule", lr_schedule_kind_name(c.schedule.kind)}, {"lr", c.schedule.lr_max},
      {"lr_min", c.schedule.lr_min}, {"warmup", c.schedule.warmup_iters},
      {"lr_decay_iters", c.schedule.decay_iters}, {"optimizer", optimizer_kind_name(c.optim.kind)},
      {"beta1", c.optim.beta1}, {"beta2", c.optim.beta2}, {"eps", c.optim.eps},
      {"weight_decay", c.optim.weight_decay}, {"grad_clip", c.grad_clip}, {"seed", c.seed},
      {"precision", c.bf16 ? "bf16" : "fp32"},
      {"eval_interval", c.eval_interval}, {"eval_iters", c.eval_iters}, {"log_interval", c.log_interval},
      {"checkpoint_interval", c.checkpoint_interval}, {"max_time_s", c.max_time_s}};
}

status train_config_from_json(const nlohmann::json& j, train_config& c) {
  try {
    PLUMA_TRY(model_kind_parse(j.at("model").get<std::string>(), c.model));
    PLUMA_TRY(lr_schedule_kind_parse(j.at("lr_schedule").get<std::string>(), c.schedule.kind));
    PLUMA_TRY(optimizer_kind_parse(j.at("optimizer").get<std::string>(), c.optim.kind));
    j.at("layers").get_to(c.layers);
    j.at("heads").get_to(c.heads);
    j.at("embd").get_to(c.embd);
    j.at("hidden").get_to(c.hidden);
    j.at("context").get_to(c.context);
    j.at("dropout").get_to(c.dropout);
    j.at("bias").get_to(c.bias);
    j.at("data").get_to(c.data);
    j.at("tokenizer").get_to(c.tokenizer);
    j.at("vocab_size").get_to(c.vocab_size);
    j.at("val_fraction").get_to(c.val_fraction);
    // checkpoints from before the --sampler option: an LSTM trained on streams, a GPT on windows
    c.sampler = c.model == model_kind::lstm ? sampler_kind::stream : sampler_kind::windows;
    if (j.contains("sampler")) PLUMA_TRY(sampler_kind_parse(j.at("sampler").get<std::string>(), c.sampler));
    j.at("batch").get_to(c.batch);
    j.at("grad_accum").get_to(c.grad_accum);
    j.at("iters").get_to(c.iters);
    j.at("lr").get_to(c.schedule.lr_max);
    j.at("lr_min").get_to(c.schedule.lr_min);
    j.at("warmup").get_to(c.schedule.warmup_iters);
    j.at("lr_decay_iters").get_to(c.schedule.decay_iters);
    j.at("beta1").get_to(c.optim.beta1);
    j.at("beta2").get_to(c.optim.beta2);
    j.at("eps").get_to(c.optim.eps);
    j.at("weight_decay").get_to(c.optim.weight_decay);
    j.at("grad_clip").get_to(c.grad_clip);
    j.at("seed").get_to(c.seed);
    c.bf16 = j.value("precision", std::string("fp32")) == "bf16";   // absent in checkpoints before --precision
    j.at("eval_interval").get_to(c.eval_interval);
    j.at("eval_iters").get_to(c.eval_iters);
    j.at("log_interval").get_to(c.log_interval);
    j.at("checkpoint_interval").get_to(c.checkpoint_interval);
    j.at("max_time_s").get_to(c.max_time_s);
  } catch (const nlohmann::json::exception& e) {
    return status::error(std::string("the saved training settings are incomplete or malformed: ") + e.what());
  }
  return status::ok();
}

}  // namespace pluma
