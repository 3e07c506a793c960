#include "train/session.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/corpus.h"
#include "data/split.h"
#include "model/model_io.h"
#include "model/tokenizer_source.h"
#include "tokenizer/corpus_path.h"
#include "train/text_format.h"

namespace pluma {

namespace fs = std::filesystem;

namespace {

bool is_prepared_dir(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::exists(fs::path(p) / "train.bin", ec) && fs::exists(fs::path(p) / "val.bin", ec);
}

// The tokenizer named by cfg.tokenizer: a kind trained on the corpus, or a file.
status make_tokenizer(const train_config& cfg, const std::string& corpus, bool prepared, train_session& s) {
  tokenizer_kind kind;
  if (tokenizer_kind_parse(cfg.tokenizer, kind)) {
    if (prepared)
      return status::error("the prepared data directory '" + corpus + "' was encoded by a tokenizer file: give it "
                           "with --tokenizer FILE (not a kind)");
    tokenizer_train_config tc;
    tc.kind = kind;
    tc.inputs = {corpus};
    tc.vocab_size = cfg.vocab_size;
    PLUMA_TRY(tokenizer_train(tc, s.tok).with_context("training the " + cfg.tokenizer + " tokenizer on '" + corpus + "'"));
    s.tokenizer_origin = std::string(tokenizer_kind_name(kind)) + ", trained on the corpus";
    return status::ok();
  }
  std::error_code ec;
  if (!fs::is_regular_file(cfg.tokenizer, ec))
    return status::error("--tokenizer '" + cfg.tokenizer +
                         "' is neither a tokenizer kind (char, word, bpe, unigram) nor an existing tokenizer file "
                         "or checkpoint");
  PLUMA_TRY(tokenizer_load_any(cfg.tokenizer, s.tok));
  s.tokenizer_origin = std::string(tokenizer_kind_name(s.tok->kind())) + ", from '" + cfg.tokenizer + "'";
  return status::ok();
}

// A resumed run uses the checkpoint's tokenizer; one named on the command line must be the same.
status check_resume_tokenizer(const train_config& cfg, const tokenizer& saved) {
  const std::string hint = "; a resumed run uses the checkpoint's tokenizer (leave out --tokenizer)";
  tokenizer_kind kind;
  if (tokenizer_kind_parse(cfg.tokenizer, kind)) {
    if (kind != saved.kind())
      return status::error("--tokenizer " + cfg.tokenizer + " differs from the checkpoint's tokenizer kind (" +
                           tokenizer_kind_name(saved.kind()) + ")" + hint);
    return status::ok();
  }
  std::unique_ptr<tokenizer> given;
  PLUMA_TRY(tokenizer_load_any(cfg.tokenizer, given));
  if (tokenizer_hash(*given) != tokenizer_hash(saved))
    return status::error("the tokenizer file '" + cfg.tokenizer + "' (" + tokenizer_kind_name(given->kind()) + ", " +
                         std::to_string(given->vocab_size()) + " tokens, hash " + format_hex64(tokenizer_hash(*given)) +
                         ") differs from the checkpoint's (" + tokenizer_kind_name(saved.kind()) + ", " +
                         std::to_string(saved.vocab_size()) + " tokens, hash " + format_hex64(tokenizer_hash(saved)) + ")" +
                         hint);
  return status::ok();
}

status load_tokens(const train_config& cfg, bool prepared, train_session& s) {
  if (prepared) {
    fs::path dir(s.corpus_path);
    PLUMA_TRY(shard::open((dir / "train.bin").string(), s.train_shard));
    PLUMA_TRY(shard::open((dir / "val.bin").string(), s.val_shard));
    for (const shard* sh : {&s.train_shard, &s.val_shard})
      PLUMA_TRY(sh->expect_tokenizer(tokenizer_hash(*s.tok), s.tok->vocab_size()).with_context(sh->path()));
    s.train_tokens = s.train_shard.view();
    s.val_tokens = s.val_shard.view();
    return status::ok();
  }
  std::string text;
  PLUMA_TRY(corpus_read(s.corpus_path, text));
  std::vector<int> ids = s.tok->encode(text);
  PLUMA_TRY(split_train_val(ids, cfg.val_fraction, s.train_ids, s.val_ids).with_context("splitting '" + s.corpus_path + "'"));
  s.train_tokens = token_view::of(s.train_ids);
  s.val_tokens = token_view::of(s.val_ids);
  return status::ok();
}

status make_samplers(const train_config& cfg, train_session& s) {
  const int B = cfg.batch, T = cfg.context;
  std::unique_ptr<window_batches> ev_train, ev_val;
  if (cfg.sampler == sampler_kind::stream) {
    std::unique_ptr<stream_batches> st;
    PLUMA_TRY(stream_batches::create(s.train_tokens, B, T, "the training split", st));
    s.sampler = std::move(st);
  } else {
    std::unique_ptr<window_batches> w;
    PLUMA_TRY(window_batches::create(s.train_tokens, B, T, cfg.seed, "the training split", w));
    s.sampler = std::move(w);
  }
  PLUMA_TRY(window_batches::create(s.train_tokens, B, T, cfg.seed + 1, "the training split", ev_train));
  status e = window_batches::create(s.val_tokens, B, T, cfg.seed + 2, "the validation split", ev_val);
  if (!e) return status::error(e.message() + " (or a larger --val-fraction)");
  s.train_eval = fixed_batches_draw(*ev_train, cfg.eval_iters);
  s.val_eval = fixed_batches_draw(*ev_val, cfg.eval_iters);
  return status::ok();
}

}  // namespace

std::string bytes_human(size_t bytes) {
  char buf[32];
  double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  return buf;
}

size_t memory_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  size_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

status memory_check(size_t need, size_t available, const train_config& cfg) {
  if (available == 0 || need <= available) return status::ok();
  return status::error("the model needs about " + bytes_human(need) +
                       " to train (parameters, gradients, optimizer moments and activations at micro-batch " +
                       std::to_string(cfg.batch / cfg.grad_accum) + ", context " + std::to_string(cfg.context) +
                       ") but only " + bytes_human(available) +
                       " of memory is available; use a smaller model (--layers, --embd, --hidden), a shorter "
                       "--context, or fewer sequences per micro-batch (--batch, --grad-accum)");
}

nlohmann::json train_model_config(const train_config& cfg, int vocab_size) {
  if (cfg.model == model_kind::lstm)
    return {{"kind", "lstm"}, {"vocab_size", vocab_size}, {"embd", cfg.embd > 0 ? cfg.embd : cfg.hidden},
            {"hidden", cfg.hidden}, {"layers", cfg.layers}, {"dropout", cfg.dropout},
            {"carry_state", cfg.sampler == sampler_kind::stream}};
  return {{"kind", model_kind_name(cfg.model)}, {"vocab_size", vocab_size}, {"context", cfg.context},
          {"layers", cfg.layers}, {"heads", cfg.heads}, {"embd", cfg.embd}, {"dropout", cfg.dropout},
          {"bias", cfg.bias}};
}

status train_session_read_resume(const std::string& path, train_session& s, train_config& saved) {
  PLUMA_TRY(checkpoint_read(path, s.resume_ck));
  auto it = s.resume_ck.metadata.find("training");
  if (it == s.resume_ck.metadata.end())
    return status::error("'" + path + "' holds no training state (it was not written by pluma train); it can be "
                         "sampled from but not resumed");
  nlohmann::json t = nlohmann::json::parse(it->second, nullptr, false);
  if (t.is_discarded() || !t.contains("settings"))
    return status::error("'" + path + "': the training state is malformed");
  PLUMA_TRY(train_config_from_json(t["settings"], saved).with_context("'" + path + "'"));
  saved.resume = path;
  return status::ok();
}

status train_session_open(const train_config& cfg, train_session& s) {
  s.cfg = cfg;
  s.resumed = !cfg.resume.empty();
  if (cfg.model == model_kind::seq2seq) return seq2seq_session_open(cfg, s);
  std::unique_ptr<lm_model> lm;
  bool prepared = is_prepared_dir(cfg.data);
  if (prepared) s.corpus_path = cfg.data;
  else PLUMA_TRY(corpus_resolve(cfg.data, s.corpus_path));

  if (s.resumed) {
    PLUMA_TRY(checkpoint_load_model(s.resume_ck, lm, s.tok).with_context("'" + cfg.resume + "'"));
    if (s.check_tokenizer) PLUMA_TRY(check_resume_tokenizer(cfg, *s.tok));
    s.tokenizer_origin = std::string(tokenizer_kind_name(s.tok->kind())) + ", from the checkpoint";
  } else {
    PLUMA_TRY(make_tokenizer(cfg, s.corpus_path, prepared, s));
  }
  PLUMA_TRY(load_tokens(cfg, prepared, s));

  const int micro = cfg.batch / cfg.grad_accum;
  if (!s.resumed) PLUMA_TRY(model_create(train_model_config(cfg, s.tok->vocab_size()), lm));
  lm_model& model = *lm;
  s.model = std::move(lm);
  for (const auto& t : s.model->param_specs()) s.n_params += t.numel();
  s.training_bytes = model.training_bytes(micro, cfg.context);
  // On the CPU everything lives in host memory, weighed before allocating; on a GPU the device allocations
  // themselves refuse a model too large (set_device, the first step's activations).
  if (cfg.dev == device::cpu) PLUMA_TRY(memory_check(s.training_bytes, memory_available_bytes(), cfg));
  if (!s.resumed) s.model->init_params(cfg.seed);
  if (cfg.dev != device::cpu)
    PLUMA_TRY(s.model->set_device(exec_context{cfg.dev, nullptr}).with_context("--device cuda"));

  PLUMA_TRY(make_samplers(cfg, s));
  s.tr = std::make_unique<trainer>(model, *s.tok, *s.sampler, s.train_eval, s.val_eval, cfg);
  if (s.resumed) {
    PLUMA_TRY(s.tr->restore(s.resume_ck).with_context("resuming from '" + cfg.resume + "'"));
    if (s.tr->step() >= cfg.iters)
      return status::error("'" + cfg.resume + "' is already at iteration " + std::to_string(s.tr->step()) +
                           " of --iters " + std::to_string(cfg.iters) + "; give a larger --iters to train further");
    s.resume_ck = checkpoint();   // free its memory
  }
  return status::ok();
}

}  // namespace pluma
