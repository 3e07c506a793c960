// pluma prepare: encode a corpus once into train and val token shards.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "data/corpus.h"
#include "data/shard.h"
#include "data/split.h"
#include "tokenizer/corpus_path.h"
#include "tools/command.h"
#include "model/tokenizer_source.h"
#include "tokenizer/tokenizer.h"

namespace pluma::cli {
namespace {

int run_prepare(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Encode a corpus into train.bin and val.bin token shards. The LAST --val-fraction\n"
                                 "of the text is validation. --input takes a file or a corpus name (NAME.txt in\n"
                                 "$PLUMA_DATA, then ../shared/data).");
  opts.add_options()
    ("tokenizer", "Tokenizer file (pluma tokenizer train) or a .pluma checkpoint", cxxopts::value<std::string>())
    ("input", "Corpus file or name", cxxopts::value<std::string>())
    ("out", "Output directory", cxxopts::value<std::string>())
    ("val-fraction", "Fraction of the text (at its end) kept for validation", cxxopts::value<double>()->default_value("0.1"));
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  for (const char* req : {"tokenizer", "input", "out"})
    if (!r.count(req)) usage_error(opts, std::string("--") + req + " is required");
  double f = r["val-fraction"].as<double>();
  if (!(f >= 0 && f < 1)) usage_error(opts, "--val-fraction must be in [0, 1) (got " + std::to_string(f) + ")");

  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<tokenizer> tok;
  if (status st = tokenizer_load_any(r["tokenizer"].as<std::string>(), tok); !st) fail(st.message());
  std::string path, text;
  if (status st = corpus_resolve(r["input"].as<std::string>(), path); !st) fail(st.message());
  if (status st = corpus_read(path, text); !st) fail(st.message());
  std::vector<int> ids = tok->encode(text), train, val;
  if (status st = split_train_val(ids, f, train, val); !st) fail(st.message());

  std::string out = r["out"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) fail("cannot create directory '" + out + "': " + ec.message());
  uint64_t h = tokenizer_hash(*tok);
  for (auto [name, part] : {std::pair<const char*, const std::vector<int>*>{"train.bin", &train}, {"val.bin", &val}}) {
    std::string p = (std::filesystem::path(out) / name).string();
    if (status st = shard_write(p, *part, h, tok->vocab_size()); !st) fail(st.message());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: %zu bytes -> %zu tokens (vocabulary %d): train %zu, val %zu tokens in %s (%.1f s)\n",
              path.c_str(), text.size(), ids.size(), tok->vocab_size(), train.size(), val.size(), out.c_str(), secs);
  return 0;
}

}  // namespace
PLUMA_COMMAND("prepare", "Encode a corpus into train/val token shards", run_prepare);
}  // namespace pluma::cli
