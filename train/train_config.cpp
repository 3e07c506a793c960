#include "train/train_config.h"

#include <cmath>

#include "model/model_limits.h"
#include "model/ops/lanes.h"
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

const char* train_preset_names() {
  return "baby, shakespeare-char, char-rnn-small, char-rnn, multi30k, tatoeba-en-es";
}

void train_model_defaults(model_kind kind, train_config& cfg) {
  cfg = train_config{};
  cfg.model = kind;
  if (kind == model_kind::seq2seq) {
    cfg.data.clear();
    cfg.tokenizer = "bpe", cfg.vocab_size = 8000, cfg.joint_vocab = true;
    cfg.embd = 256, cfg.hidden = 256, cfg.layers = 1, cfg.dec_hidden = 512, cfg.dropout = 0.3f;
    cfg.batch = 64, cfg.iters = 0;
    cfg.schedule = lr_schedule{lr_schedule_kind::plateau, 1e-3, 0, 0, 0, 0.5};
    cfg.optim = optimizer_config{optimizer_kind::adam, 0.9f, 0.999f, 1e-8f, 0.0f};
    cfg.grad_clip = 1.0f, cfg.label_smoothing = 0.1f;
    cfg.seed = 1234;
    cfg.eval_interval = 0, cfg.log_interval = 100, cfg.keep_best = keep_best_kind::bleu;
    cfg.out = "translator.pluma";
    return;
  }
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
  if (name == "multi30k" || name == "tatoeba-en-es") {
    train_model_defaults(model_kind::seq2seq, cfg);
    if (name == "multi30k") {
      cfg.src = "multi30k/train.en", cfg.tgt = "multi30k/train.de";
      cfg.valid_src = "multi30k/val.en", cfg.valid_tgt = "multi30k/val.de";
    } else {
      cfg.tsv = "tatoeba-en-es.tsv";
    }
    cfg.max_time_s = 2400;   // the options given replace it (a limit of the caller's: --iters, --max-epochs)
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

namespace {

// The translator's own checks; the shared ones follow in train_config_check.
status seq2seq_config_check(const train_config& c) {
  PLUMA_TRY(positive("--layers", c.layers));
  PLUMA_TRY(positive("--embd", c.embd));
  PLUMA_TRY(positive("--hidden", c.hidden));
  PLUMA_TRY(positive("--dec-hidden", c.dec_hidden));
  const bool files = !c.src.empty() || !c.tgt.empty();
  if (files == !c.tsv.empty())
    return status::error("give the training pairs either as --src and --tgt files or as one --tsv file");
  if (files && (c.src.empty() || c.tgt.empty())) return status::error("--src and --tgt go together");
  if (!c.valid_tsv.empty() && (!c.valid_src.empty() || !c.valid_tgt.empty()))
    return status::error("give the validation pairs either as --valid-src and --valid-tgt or as --valid-tsv");
  if (c.valid_src.empty() != c.valid_tgt.empty()) return status::error("--valid-src and --valid-tgt go together");
  PLUMA_TRY(positive("--valid-size", c.valid_size));
  PLUMA_TRY(non_negative("--max-tokens", c.max_len));
  if (!(c.label_smoothing >= 0 && c.label_smoothing < 1))
    return status::error("--label-smoothing must be in [0, 1) (got " + format_g(c.label_smoothing) + ")");
  PLUMA_TRY(positive("--bleu-batch", c.bleu_batch));
  PLUMA_TRY(non_negative("--iters", c.iters));
  PLUMA_TRY(non_negative("--max-epochs", c.max_epochs));
  PLUMA_TRY(non_negative("--eval-interval", c.eval_interval));
  if (c.iters == 0 && c.max_epochs == 0 && c.max_time_s == 0)
    return status::error("give a limit: --iters, --max-epochs or --max-time (or a --preset)");
  if (c.schedule.kind == lr_schedule_kind::cosine && c.iters == 0 && c.schedule.decay_iters == 0)
    return status::error("--lr-schedule cosine decays over --iters steps: give --iters or --lr-decay-iters");
  return status::ok();
}

}  // namespace

status train_config_check(const train_config& c) {
  if (c.model == model_kind::seq2seq) PLUMA_TRY(seq2seq_config_check(c));
  else PLUMA_TRY(positive("--layers", c.layers));
  if (c.layers > max_layers)
    return status::error("--layers " + std::to_string(c.layers) + " is more than " + std::to_string(max_layers) +
                         " (the deepest model pluma builds)");
  if (c.model != model_kind::seq2seq) PLUMA_TRY(positive("--context", c.context));
  if (c.model == model_kind::gpt) {
    PLUMA_TRY(positive("--heads", c.heads));
    PLUMA_TRY(positive("--embd", c.embd));
    if (c.embd % c.heads != 0)
      return status::error("--heads (" + std::to_string(c.heads) + ") must divide --embd (" +
                           std::to_string(c.embd) + ") so that every head has the same width");
  } else if (c.model == model_kind::lstm) {
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
  if (c.model != model_kind::seq2seq) PLUMA_TRY(positive("--iters", c.iters));
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
  if (c.model != model_kind::seq2seq) PLUMA_TRY(positive("--eval-interval", c.eval_interval));
  if (c.schedule.kind == lr_schedule_kind::plateau && !(c.schedule.plateau_factor > 0 && c.schedule.plateau_factor <= 1))
    return status::error("--lr-decay must be in (0, 1] (got " + format_g(c.schedule.plateau_factor) + ")");
  PLUMA_TRY(positive("--eval-iters", c.eval_iters));
  PLUMA_TRY(positive("--log-interval", c.log_interval));
  PLUMA_TRY(non_negative("--checkpoint-interval", c.checkpoint_interval));
  PLUMA_TRY(non_negative("--max-time", c.max_time_s));
  PLUMA_TRY(non_negative("--threads", c.threads));
  PLUMA_TRY(non_negative("--lanes", c.lanes));
  if (c.lanes > lanes_max())
    return status::error("--lanes must be at most " + std::to_string(lanes_max()) + " (got " + std::to_string(c.lanes) + ")");
  if (c.lanes > 1 && c.model == model_kind::lstm && c.sampler == sampler_kind::stream)
    return status::error("--lanes " + std::to_string(c.lanes) + " needs --sampler windows for an lstm: on streams each "
                         "row carries its state into the next batch");
  if (c.lanes > 1 && c.batch / c.grad_accum < c.lanes)
    return status::error("--lanes " + std::to_string(c.lanes) + " needs at least as many sequences per micro-batch (batch/grad-accum = " +
                         std::to_string(c.batch / c.grad_accum) + ")");
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
      {"checkpoint_interval", c.checkpoint_interval}, {"max_time_s", c.max_time_s},
      {"lr_decay", c.schedule.plateau_factor}, {"keep_best", keep_best_kind_name(c.keep_best)},
      {"max_epochs", c.max_epochs}, {"dec_hidden", c.dec_hidden}, {"src", c.src}, {"tgt", c.tgt}, {"tsv", c.tsv},
      {"valid_src", c.valid_src}, {"valid_tgt", c.valid_tgt}, {"valid_tsv", c.valid_tsv},
      {"valid_size", c.valid_size}, {"max_len", c.max_len}, {"joint_vocab", c.joint_vocab},
      {"space_prefix", c.space_prefix}, {"label_smoothing", c.label_smoothing}, {"bleu_batch", c.bleu_batch},
      {"lanes", c.lanes}};
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
    // absent in checkpoints from before the translator joined the trainer: the defaults
    c.schedule.plateau_factor = j.value("lr_decay", c.schedule.plateau_factor);
    if (j.contains("keep_best")) PLUMA_TRY(keep_best_kind_parse(j.at("keep_best").get<std::string>(), c.keep_best));
    c.max_epochs = j.value("max_epochs", c.max_epochs);
    c.dec_hidden = j.value("dec_hidden", c.dec_hidden);
    c.src = j.value("src", c.src), c.tgt = j.value("tgt", c.tgt), c.tsv = j.value("tsv", c.tsv);
    c.valid_src = j.value("valid_src", c.valid_src), c.valid_tgt = j.value("valid_tgt", c.valid_tgt);
    c.valid_tsv = j.value("valid_tsv", c.valid_tsv);
    c.valid_size = j.value("valid_size", c.valid_size), c.max_len = j.value("max_len", c.max_len);
    c.joint_vocab = j.value("joint_vocab", c.joint_vocab), c.space_prefix = j.value("space_prefix", c.space_prefix);
    c.label_smoothing = j.value("label_smoothing", c.label_smoothing);
    c.bleu_batch = j.value("bleu_batch", c.bleu_batch);
    c.lanes = j.value("lanes", 1);   // checkpoints from before lanes computed in one
  } catch (const nlohmann::json::exception& e) {
    return status::error(std::string("the saved training settings are incomplete or malformed: ") + e.what());
  }
  return status::ok();
}

}  // namespace pluma
