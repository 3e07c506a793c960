// seq2seq_trainer: see the header for the loop.
#include "train/seq2seq_trainer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "data/bucket.h"
#include "data/parallel.h"
#include "generate/beam_search.h"
#include "generate/bleu.h"
#include "model/core/exec.h"
#include "model/ops/adamw.h"
#include "model/rnn/seq2seq_io.h"
#include "tokenizer/corpus_path.h"

namespace pluma {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

status read_pairs(const std::string& src, const std::string& tgt, const std::string& tsv,
                  std::vector<sentence_pair>& out, size_t& skipped) {
  parallel_read_config rc;
  rc.empty_lines = empty_line_policy::skip;
  parallel_stats stats;
  std::string a, b;
  if (!tsv.empty()) {
    PLUMA_TRY(corpus_resolve(tsv, a));
    PLUMA_TRY(parallel_read_tsv(a, out, rc, &stats));
  } else {
    PLUMA_TRY(corpus_resolve(src, a));
    PLUMA_TRY(corpus_resolve(tgt, b));
    PLUMA_TRY(parallel_read_files(a, b, out, rc, &stats));
  }
  skipped = stats.skipped_empty;
  return status::ok();
}

// A temporary directory removed when this goes out of scope.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("pluma-seq2seq-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

status write_lines(const std::string& path, const std::vector<sentence_pair>& pairs, bool source, bool space_prefix) {
  std::ofstream f(path, std::ios::binary);
  for (const auto& p : pairs) f << (space_prefix ? " " : "") << (source ? p.src : p.tgt) << '\n';
  if (!f) return status::error("cannot write the tokenizer's training text to '" + path + "'");
  return status::ok();
}

// The space prefix helps SentencePiece models, which add no dummy prefix; word and char tokenizers split on
// spaces anyway.
bool uses_space_prefix(const seq2seq_train_config& cfg) {
  return cfg.space_prefix && (cfg.tokenizer == tokenizer_kind::bpe || cfg.tokenizer == tokenizer_kind::unigram);
}

status train_tokenizers(const seq2seq_train_config& cfg, const std::vector<sentence_pair>& pairs,
                        std::unique_ptr<tokenizer>& src_tok, std::unique_ptr<tokenizer>& tgt_tok) {
  temp_dir dir;
  const std::string src_path = (dir.path / "src.txt").string(), tgt_path = (dir.path / "tgt.txt").string();
  PLUMA_TRY(write_lines(src_path, pairs, true, uses_space_prefix(cfg)));
  PLUMA_TRY(write_lines(tgt_path, pairs, false, uses_space_prefix(cfg)));
  tokenizer_train_config tc;
  tc.kind = cfg.tokenizer;
  tc.vocab_size = cfg.vocab_size;
  if (cfg.joint) {
    tc.inputs = {src_path, tgt_path};
    PLUMA_TRY(tokenizer_train(tc, tgt_tok).with_context("training the joint tokenizer"));
    return tokenizer_from_bytes(tgt_tok->serialize(), src_tok);
  }
  tc.inputs = {src_path};
  PLUMA_TRY(tokenizer_train(tc, src_tok).with_context("training the source tokenizer"));
  tc.inputs = {tgt_path};
  return tokenizer_train(tc, tgt_tok).with_context("training the target tokenizer");
}

seq2seq_inputs inputs_of(const seq2seq_batch& b) {
  return {b.B, b.S, b.T, b.src.data(), b.src_len.data(), b.tgt_in.data(), b.tgt_out.data()};
}

struct evaluation {
  double nll = 0, smoothed = 0, bleu = 0;
};

// Loss over every validation pair (length-bucketed batches) and greedy BLEU against the raw references.
evaluation evaluate(seq2seq_model& m, const seq2seq_train_config& cfg, bucket_batcher& val_batches,
                    const std::vector<encoded_pair>& val, const std::vector<std::string>& refs,
                    const tokenizer& tgt_tok) {
  evaluation ev;
  seq2seq_batch b;
  seq2seq_loss sum;
  while (val_batches.next(b)) {
    const seq2seq_loss l = m.forward_loss(inputs_of(b), cfg.label_smoothing);
    sum.nll += l.nll, sum.smoothed += l.smoothed, sum.tokens += l.tokens;
  }
  ev.nll = sum.nll / double(std::max(1L, sum.tokens));
  ev.smoothed = sum.smoothed / double(std::max(1L, sum.tokens));
  std::vector<std::vector<int>> srcs;
  for (const auto& p : val) srcs.push_back(p.src);
  decode_config dc;
  dc.beam = 1;
  std::vector<std::vector<translation>> out;
  translate_corpus(m, srcs, dc, cfg.bleu_batch, nullptr, out);
  std::vector<std::string> hyps;
  for (const auto& t : out) hyps.push_back(seq2seq_decode(tgt_tok, t[0].tokens, m.config().space_prefix));
  ev.bleu = bleu_corpus(hyps, refs).score;
  return ev;
}

double grad_norm(const arena& g) {
  double s = 0;
  const float* p = g.data();
#pragma omp parallel for reduction(+ : s) schedule(static)
  for (size_t i = 0; i < g.size(); i++) s += double(p[i]) * p[i];
  return std::sqrt(s);
}

}  // namespace

status seq2seq_train_preset(const std::string& name, seq2seq_train_config& cfg) {
  if (name == "multi30k" || name == "tatoeba-en-es") {
    if (name == "multi30k") {
      if (cfg.src.empty() && cfg.tsv.empty()) cfg.src = "multi30k/train.en", cfg.tgt = "multi30k/train.de";
      if (cfg.valid_src.empty() && cfg.valid_tsv.empty())
        cfg.valid_src = "multi30k/val.en", cfg.valid_tgt = "multi30k/val.de";
    } else if (cfg.src.empty() && cfg.tsv.empty()) {
      cfg.tsv = "tatoeba-en-es.tsv";
    }
    cfg.tokenizer = tokenizer_kind::bpe;
    cfg.vocab_size = 8000;
    cfg.joint = true;
    cfg.model.emb = 256, cfg.model.enc_hidden = 256, cfg.model.enc_layers = 1, cfg.model.dec_hidden = 512;
    cfg.model.dropout = 0.3f;
    cfg.batch_size = 64, cfg.lr = 1e-3f, cfg.lr_decay = 0.5f, cfg.grad_clip = 1.0f, cfg.label_smoothing = 0.1f;
    if (cfg.max_time <= 0 && cfg.max_epochs <= 0 && cfg.max_steps <= 0) cfg.max_time = 2400;
    return status::ok();
  }
  return status::error("unknown preset '" + name + "' (known: multi30k, tatoeba-en-es)");
}

status seq2seq_train_config_check(const seq2seq_train_config& cfg) {
  const bool files = !cfg.src.empty() || !cfg.tgt.empty();
  if (files == !cfg.tsv.empty())
    return status::error("give the training data either as --src and --tgt files or as one --tsv file");
  if (files && (cfg.src.empty() || cfg.tgt.empty())) return status::error("--src and --tgt go together");
  if (!cfg.valid_tsv.empty() && (!cfg.valid_src.empty() || !cfg.valid_tgt.empty()))
    return status::error("give the validation data either as --valid-src and --valid-tgt or as --valid-tsv");
  if (cfg.valid_src.empty() != cfg.valid_tgt.empty()) return status::error("--valid-src and --valid-tgt go together");
  if (cfg.out.empty()) return status::error("--out (the checkpoint to write) is required");
  if (cfg.valid_size < 1) return status::error("--valid-size must be at least 1");
  if (cfg.batch_size < 1) return status::error("--batch-size must be at least 1");
  if (!(cfg.lr > 0.0f)) return status::error("--lr must be positive");
  if (!(cfg.lr_decay > 0.0f && cfg.lr_decay <= 1.0f)) return status::error("--lr-decay must be in (0, 1]");
  if (!(cfg.grad_clip >= 0.0f)) return status::error("--clip must be >= 0");
  if (!(cfg.label_smoothing >= 0.0f && cfg.label_smoothing < 1.0f))
    return status::error("--label-smoothing must be in [0, 1)");
  if (cfg.max_time < 0 || cfg.max_epochs < 0 || cfg.max_steps < 0)
    return status::error("--max-time, --max-epochs and --max-steps must be >= 0");
  if (cfg.max_time == 0 && cfg.max_epochs == 0 && cfg.max_steps == 0)
    return status::error("give a limit: --max-time, --max-epochs or --max-steps (or a --preset)");
  if (cfg.bleu_batch < 1 || cfg.log_every < 1 || cfg.eval_every < 0)
    return status::error("--eval-every must be >= 0 and the batch and log sizes >= 1");
  tokenizer_train_config tc;
  tc.kind = cfg.tokenizer;
  tc.vocab_size = cfg.vocab_size;
  tc.inputs = {"-"};
  PLUMA_TRY(tokenizer_train_config_check(tc));
  seq2seq_config mc = cfg.model;
  mc.src_vocab_size = mc.vocab_size = 5;   // set from the tokenizers later
  return seq2seq_config_validate(mc);
}

status seq2seq_train(const seq2seq_train_config& cfg, const seq2seq_train_callback& cb, seq2seq_train_result& out) {
  PLUMA_TRY(seq2seq_train_config_check(cfg));
  auto info = [&](const std::string& msg) {
    seq2seq_train_event e;
    e.message = msg;
    if (cb) cb(e);
  };
  // 1. data
  std::vector<sentence_pair> train, valid;
  size_t skipped = 0, skipped_valid = 0;
  PLUMA_TRY(read_pairs(cfg.src, cfg.tgt, cfg.tsv, train, skipped).with_context("training data"));
  if (!cfg.valid_src.empty() || !cfg.valid_tsv.empty()) {
    PLUMA_TRY(read_pairs(cfg.valid_src, cfg.valid_tgt, cfg.valid_tsv, valid, skipped_valid)
                  .with_context("validation data"));
  } else {
    if (train.size() < size_t(cfg.valid_size) + 1)
      return status::error("the training data has " + std::to_string(train.size()) +
                           " pairs: too few to hold out --valid-size " + std::to_string(cfg.valid_size));
    rng g(cfg.seed ^ 0x5eedULL);
    for (size_t i = train.size() - 1; i > 0; i--) std::swap(train[i], train[g.below(i + 1)]);
    valid.assign(train.end() - cfg.valid_size, train.end());
    train.resize(train.size() - cfg.valid_size);
  }
  if (valid.empty()) return status::error("the validation data has no pairs");
  info("data: " + std::to_string(train.size()) + " training pairs, " + std::to_string(valid.size()) +
       " validation pairs" + (skipped ? " (" + std::to_string(skipped) + " with an empty side skipped)" : ""));

  // 2. tokenizers
  std::unique_ptr<tokenizer> src_tok, tgt_tok;
  double t0 = now_s();
  PLUMA_TRY(train_tokenizers(cfg, train, src_tok, tgt_tok));
  info(std::string("tokenizer: ") + tokenizer_kind_name(tgt_tok->kind()) + (cfg.joint ? " joint " : " separate ") +
       std::to_string(src_tok->vocab_size()) + "/" + std::to_string(tgt_tok->vocab_size()) + " pieces, trained in " +
       std::to_string(int(now_s() - t0)) + " s");
  auto encode = [&](const std::vector<sentence_pair>& pairs, bool filter, std::vector<encoded_pair>& enc) {
    long dropped = 0;
    for (const auto& p : pairs) {
      encoded_pair e{seq2seq_encode(*src_tok, p.src, uses_space_prefix(cfg)),
                     seq2seq_encode(*tgt_tok, p.tgt, uses_space_prefix(cfg))};
      if (e.src.empty()) e.src.push_back(unk_id);
      if (filter && cfg.max_src_tokens > 0 &&
          (int(e.src.size()) > cfg.max_src_tokens || int(e.tgt.size()) > cfg.max_src_tokens)) {
        dropped++;
        continue;
      }
      enc.push_back(std::move(e));
    }
    return dropped;
  };
  std::vector<encoded_pair> train_enc, valid_enc;
  const long dropped = encode(train, true, train_enc);
  encode(valid, false, valid_enc);
  if (train_enc.empty()) return status::error("no training pair is left after the length filter");
  long tgt_tokens = 0;
  for (const auto& p : train_enc) tgt_tokens += long(p.tgt.size()) + 1;
  info("encoded: " + std::to_string(tgt_tokens) + " target tokens per epoch (with <eos>)" +
       (dropped ? ", " + std::to_string(dropped) + " long pairs skipped" : ""));
  std::vector<std::string> refs;
  for (const auto& p : valid) refs.push_back(p.tgt);

  // 3. model and optimizer state
  seq2seq_config mc = cfg.model;
  mc.src_vocab_size = src_tok->vocab_size();
  mc.vocab_size = tgt_tok->vocab_size();
  mc.space_prefix = uses_space_prefix(cfg);
  seq2seq_model m(mc);
  m.init_params(cfg.seed);
  arena& grads = m.grads();
  arena adam_m(m.params().size()), adam_v(m.params().size());
  info("model: seq2seq " + seq2seq_config_to_json(mc).dump() + ", " + std::to_string(m.num_params()) + " parameters");

  bucket_batcher batches, val_batches;
  bucket_config bc;
  bc.max_sentences = cfg.batch_size;
  PLUMA_TRY(bucket_batcher::create(train_enc, bc, cfg.seed, batches));
  PLUMA_TRY(bucket_batcher::create(valid_enc, bc, cfg.seed, val_batches));   // loss batches as in training

  // 4. the loop
  rng dropout_rng(cfg.seed + 1);
  adamw_params hp;
  hp.lr = cfg.lr, hp.beta1 = cfg.beta1, hp.beta2 = cfg.beta2, hp.eps = cfg.eps, hp.weight_decay = 0.0f;
  const double epoch_batches = double(batches.batches_in_epoch());
  double best_val = INFINITY, train_time = 0, window_time = 0, window_loss = 0;
  long window_tokens = 0, window_steps = 0, total_tokens = 0;
  long step = 0, step_in_epoch = 0;
  int epoch = 0;
  out = seq2seq_train_result();
  out.best_bleu = -1;
  seq2seq_batch b;
  auto run_eval = [&]() -> status {
    const double te = now_s();
    const evaluation ev = evaluate(m, cfg, val_batches, valid_enc, refs, *tgt_tok);
    seq2seq_train_event e;
    e.event = seq2seq_train_event::kind::eval;
    e.step = step;
    e.epoch = epoch + step_in_epoch / epoch_batches;
    e.lr = hp.lr;
    e.train_time = train_time;
    e.val_nll = float(ev.nll), e.val_loss = float(ev.smoothed), e.val_bleu = ev.bleu;
    if (!std::isfinite(ev.smoothed)) return status::error("the validation loss is not finite; lower --lr");
    if (ev.bleu > out.best_bleu) {
      out.best_bleu = ev.bleu, out.best_step = step;
      e.best = true;
      nlohmann::json training = {{"step", step},           {"epoch", e.epoch},  {"val_bleu", ev.bleu},
                                 {"val_loss", ev.smoothed}, {"val_nll", ev.nll}, {"train_time", train_time},
                                 {"lr", hp.lr}};
      PLUMA_TRY(seq2seq_save(cfg.out, m, *src_tok, *tgt_tok, training).with_context("writing the checkpoint"));
    }
    if (ev.smoothed < best_val * (1.0 - 1e-4)) best_val = ev.smoothed;   // the plateau rule, patience 0
    else hp.lr *= cfg.lr_decay;
    e.eval_time = now_s() - te;
    if (cb) cb(e);
    return status::ok();
  };
  for (;;) {
    if (cfg.max_time > 0 && train_time >= cfg.max_time) {
      out.stop_reason = "max_time";
      break;
    }
    if (cfg.max_steps > 0 && step >= cfg.max_steps) {
      out.stop_reason = "max_steps";
      break;
    }
    const double ts = now_s();
    if (!batches.next(b)) {   // the epoch's end
      epoch++;
      step_in_epoch = 0;
      if (cfg.eval_every == 0) PLUMA_TRY(run_eval());
      if (cfg.max_epochs > 0 && epoch >= cfg.max_epochs) {
        out.stop_reason = "max_epochs";
        break;
      }
      continue;
    }
    grads.zero();
    const float loss = m.forward_backward(inputs_of(b), cfg.label_smoothing, 1.0f, dropout_rng);
    const double norm = grad_norm(grads);
    if (!std::isfinite(loss) || !std::isfinite(norm))
      return status::error("the training loss or gradient is not finite at step " + std::to_string(step) +
                           "; lower --lr or --clip");
    const float scale = cfg.grad_clip > 0 && norm > cfg.grad_clip ? float(cfg.grad_clip / (norm + 1e-6)) : 1.0f;
    hp.step = int(++step);
    adamw_update(cpu_context(), m.params().data(), grads.data(), adam_m.data(), adam_v.data(), m.params().size(),
                 hp, scale);
    step_in_epoch++;
    long tokens = 0;
    for (int i = 0; i < b.B; i++) tokens += b.tgt_len[i];
    const double dt = now_s() - ts;
    train_time += dt, window_time += dt;
    window_loss += double(loss) * tokens, window_tokens += tokens, total_tokens += tokens, window_steps++;
    if (step % cfg.log_every == 0) {
      seq2seq_train_event e;
      e.event = seq2seq_train_event::kind::step;
      e.step = step;
      e.epoch = epoch + step_in_epoch / epoch_batches;
      e.loss = float(window_loss / double(window_tokens));
      e.lr = hp.lr;
      e.tokens_per_s = double(window_tokens) / window_time;
      e.train_time = train_time;
      if (cb) cb(e);
      window_time = window_loss = 0, window_tokens = window_steps = 0;
    }
    if (cfg.eval_every > 0 && step % cfg.eval_every == 0) PLUMA_TRY(run_eval());
  }
  const bool just_evaluated = step_in_epoch == 0 ? cfg.eval_every == 0 : cfg.eval_every > 0 && step % cfg.eval_every == 0;
  if (!just_evaluated || out.best_bleu < 0) PLUMA_TRY(run_eval());   // the partial epoch counts too
  out.steps = step;
  out.epochs = epoch + step_in_epoch / epoch_batches;
  out.train_time = train_time;
  out.tokens_per_s = train_time > 0 ? double(total_tokens) / train_time : 0;
  return status::ok();
}

}  // namespace pluma
