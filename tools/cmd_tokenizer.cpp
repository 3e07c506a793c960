// pluma tokenizer train: learns a tokenizer (char, word, bpe, unigram) from corpus files and saves it.
// pluma tokenizer export: writes one in another tool's format (SentencePiece).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "model/core/file_write.h"
#include "tokenizer/tokenizer.h"
#include "tools/cli_common.h"
#include "tools/command.h"

namespace {

struct tokenizer_train_options {
  pluma::tokenizer_train_config train;
  std::string out;   // where the tokenizer is saved
};

int run_tokenizer_train(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Train a tokenizer on corpus files and save it (char and bpe/unigram are lossless)");
  opts.add_options()
      ("kind", "char | word | bpe | unigram", cxxopts::value<std::string>()->default_value("char"))
      ("vocab-size", "Vocabulary size including the 4 specials: a cap for char/word (default: all seen / 10000), "
                     "exact for bpe/unigram (default 8000)", cxxopts::value<int>()->default_value("0"))
      ("min-count", "char/word: minimum count to enter the vocabulary", cxxopts::value<int>()->default_value("1"))
      ("input", "Corpus file or name (e.g. tinyshakespeare, looked up in $PLUMA_DATA and ../shared/data); repeatable",
       cxxopts::value<std::vector<std::string>>())
      ("out", "Where to write the tokenizer (e.g. tok.model)", cxxopts::value<std::string>());
  pluma::cli::add_help(opts);
  auto args = pluma::cli::parse_or_exit(opts, argc, argv);

  tokenizer_train_options cfg;
  const std::string kind = args["kind"].as<std::string>();
  if (auto st = pluma::tokenizer_kind_parse(kind, cfg.train.kind); !st) pluma::cli::usage_error(opts, st.message());
  cfg.train.vocab_size = args["vocab-size"].as<int>();
  cfg.train.min_count = args["min-count"].as<int>();
  if (!args.count("input")) pluma::cli::usage_error(opts, "missing --input FILE (the corpus to learn from)");
  cfg.train.inputs = args["input"].as<std::vector<std::string>>();
  if (!args.count("out")) pluma::cli::usage_error(opts, "missing --out FILE (where to save the tokenizer)");
  cfg.out = args["out"].as<std::string>();
  if (auto st = pluma::tokenizer_train_config_check(cfg.train); !st) pluma::cli::usage_error(opts, st.message());

  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<pluma::tokenizer> tok;
  if (auto st = pluma::tokenizer_train(cfg.train, tok); !st) {
    // A vocabulary size this corpus cannot give (bpe/unigram) is an option error, like one the
    // options alone rule out.
    if (st.message().rfind("vocabulary size ", 0) == 0) pluma::cli::usage_error(opts, st.message());
    pluma::cli::fail(st.message());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (auto st = pluma::tokenizer_save(*tok, cfg.out); !st) pluma::cli::fail(st.message());
  std::printf("%s tokenizer: vocab size %d, trained in %.2f s, saved to %s (hash %016llx)\n",
              pluma::tokenizer_kind_name(tok->kind()), tok->vocab_size(), seconds, cfg.out.c_str(),
              static_cast<unsigned long long>(pluma::tokenizer_hash(*tok)));
  return 0;
}

// pluma tokenizer export: a tokenizer (file or checkpoint) in another tool's format.
int run_tokenizer_export(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Write a tokenizer in another tool's format: --format sentencepiece gives the "
                                 "SentencePiece model of a bpe/unigram tokenizer (for spm_encode, Python's sentencepiece)");
  opts.add_options()
      ("format", "sentencepiece", cxxopts::value<std::string>()->default_value("sentencepiece"))
      ("out", "Where to write it (e.g. tok.spm)", cxxopts::value<std::string>());
  pluma::cli::add_tokenizer_options(opts);
  pluma::cli::add_help(opts);
  auto args = pluma::cli::parse_or_exit(opts, argc, argv);
  if (args["format"].as<std::string>() != "sentencepiece")
    pluma::cli::usage_error(opts, "--format " + args["format"].as<std::string>() + ": the one format is sentencepiece");
  if (!args.count("out")) pluma::cli::usage_error(opts, "missing --out FILE (where to write the SentencePiece model)");
  const std::unique_ptr<pluma::tokenizer> tok = pluma::cli::load_tokenizer_or_exit(opts, args);
  std::string proto;
  if (auto st = pluma::tokenizer_sentencepiece_proto(*tok, proto); !st) pluma::cli::fail(st.message());
  const std::string out = args["out"].as<std::string>();
  if (auto st = pluma::file_write_atomic(out, proto, "SentencePiece model"); !st) pluma::cli::fail(st.message());
  std::printf("%s tokenizer (%d pieces) written as a SentencePiece model to %s\n",
              pluma::tokenizer_kind_name(tok->kind()), tok->vocab_size(), out.c_str());
  return 0;
}

int run_tokenizer(int argc, char** argv) {
  const std::string program = argv[0];
  if (argc < 2) pluma::cli::usage_error(program, "missing subcommand: train or export");
  const std::string sub = argv[1];
  if (sub == "-h" || sub == "--help" || sub == "help") {
    std::cout << "Usage: pluma tokenizer train --kind char|word|bpe|unigram [--vocab-size N] [--min-count N] "
                 "--input FILE [--input FILE ...] --out tok.model\n"
                 "       pluma tokenizer export --format sentencepiece --tokenizer FILE --out tok.spm\n"
                 "(pluma tokenizer SUBCOMMAND --help for the options)"
              << std::endl;
    return 0;
  }
  int (*run)(int, char**) = nullptr;
  if (sub == "train") run = run_tokenizer_train;
  if (sub == "export") run = run_tokenizer_export;
  if (!run) {
    const std::string near = pluma::cli::option_suggestion(sub, {"train", "export"});
    pluma::cli::usage_error(program, "unknown tokenizer subcommand '" + sub + "'" +
                                         (near.empty() ? "" : " (did you mean '" + near + "'?)"));
  }
  std::string prog = program + " " + sub;
  std::vector<char*> rest(argv + 1, argv + argc);
  rest[0] = prog.data();
  return run(static_cast<int>(rest.size()), rest.data());
}

}  // namespace

PLUMA_COMMAND("tokenizer", "Train a tokenizer (pluma tokenizer train ...) or export one (pluma tokenizer export ...)",
              run_tokenizer);
