#include "train/seq2seq_data.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "data/parallel.h"
#include "model/core/rng.h"
#include "model/rnn/seq2seq_io.h"
#include "tokenizer/corpus_path.h"

namespace pluma {
namespace {

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

status train_tokenizers(const train_config& cfg, const std::vector<sentence_pair>& pairs,
                        std::unique_ptr<tokenizer>& src_tok, std::unique_ptr<tokenizer>& tgt_tok) {
  tokenizer_train_config tc;
  PLUMA_TRY(tokenizer_kind_parse(cfg.tokenizer, tc.kind).with_context("--tokenizer"));
  tc.vocab_size = cfg.vocab_size;
  temp_dir dir;
  const std::string src_path = (dir.path / "src.txt").string(), tgt_path = (dir.path / "tgt.txt").string();
  PLUMA_TRY(write_lines(src_path, pairs, true, seq2seq_uses_space_prefix(cfg)));
  PLUMA_TRY(write_lines(tgt_path, pairs, false, seq2seq_uses_space_prefix(cfg)));
  if (cfg.joint_vocab) {
    tc.inputs = {src_path, tgt_path};
    PLUMA_TRY(tokenizer_train(tc, tgt_tok).with_context("training the joint tokenizer"));
    return tokenizer_from_bytes(tgt_tok->serialize(), src_tok);
  }
  tc.inputs = {src_path};
  PLUMA_TRY(tokenizer_train(tc, src_tok).with_context("training the source tokenizer"));
  tc.inputs = {tgt_path};
  return tokenizer_train(tc, tgt_tok).with_context("training the target tokenizer");
}

}  // namespace

bool seq2seq_uses_space_prefix(const train_config& cfg) {
  // The space prefix helps SentencePiece models, which add no dummy prefix; word and char tokenizers split on
  // spaces anyway.
  return cfg.space_prefix && (cfg.tokenizer == "bpe" || cfg.tokenizer == "unigram");
}

status seq2seq_data_open(const train_config& cfg, seq2seq_data& out) {
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
  out.summary.push_back("data: " + std::to_string(train.size()) + " training pairs, " + std::to_string(valid.size()) +
                        " validation pairs" +
                        (skipped ? " (" + std::to_string(skipped) + " with an empty side skipped)" : ""));

  if (!out.src_tok || !out.tgt_tok) {
    const auto t0 = std::chrono::steady_clock::now();
    PLUMA_TRY(train_tokenizers(cfg, train, out.src_tok, out.tgt_tok));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.summary.push_back(std::string("tokenizer: ") + tokenizer_kind_name(out.tgt_tok->kind()) +
                          (cfg.joint_vocab ? " joint " : " separate ") + std::to_string(out.src_tok->vocab_size()) +
                          "/" + std::to_string(out.tgt_tok->vocab_size()) + " pieces, trained in " +
                          std::to_string(int(s)) + " s");
  }
  out.space_prefix = seq2seq_uses_space_prefix(cfg);
  auto encode = [&](const std::vector<sentence_pair>& pairs, bool filter, std::vector<encoded_pair>& enc) {
    long dropped = 0;
    for (const auto& p : pairs) {
      encoded_pair e{seq2seq_encode(*out.src_tok, p.src, out.space_prefix),
                     seq2seq_encode(*out.tgt_tok, p.tgt, out.space_prefix)};
      if (e.src.empty()) e.src.push_back(unk_id);
      if (filter && cfg.max_len > 0 && (int(e.src.size()) > cfg.max_len || int(e.tgt.size()) > cfg.max_len)) {
        dropped++;
        continue;
      }
      enc.push_back(std::move(e));
    }
    return dropped;
  };
  const long dropped = encode(train, true, out.train);
  encode(valid, false, out.valid);
  if (out.train.empty()) return status::error("no training pair is left after the length filter (--max-tokens)");
  long tgt_tokens = 0;
  for (const auto& p : out.train) tgt_tokens += long(p.tgt.size()) + 1;
  out.summary.push_back("encoded: " + std::to_string(tgt_tokens) + " target tokens per epoch (with <eos>)" +
                        (dropped ? ", " + std::to_string(dropped) + " long pairs skipped" : ""));
  for (const auto& p : valid) out.refs.push_back(p.tgt);
  return status::ok();
}

}  // namespace pluma
