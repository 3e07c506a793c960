// pluma tokenizer train: learns a tokenizer (char, word, bpe, unigram) from corpus files and saves it.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"
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
  if (!args.unmatched().empty()) pluma::cli::usage_error(opts, "unexpected argument '" + args.unmatched()[0] + "'");

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

int run_tokenizer(int argc, char** argv) {
  const std::string usage =
      "Usage: pluma tokenizer train --kind char|word|bpe|unigram [--vocab-size N] [--min-count N] "
      "--input FILE [--input FILE ...] --out tok.model\n(pluma tokenizer train --help for the options)";
  if (argc < 2) {
    std::cerr << "pluma: missing subcommand\n" << usage << std::endl;
    return 2;
  }
  const std::string sub = argv[1];
  if (sub == "-h" || sub == "--help" || sub == "help") {
    std::cout << usage << std::endl;
    return 0;
  }
  if (sub != "train") {
    std::cerr << "pluma: unknown tokenizer subcommand '" << sub << "'\n" << usage << std::endl;
    return 2;
  }
  std::string prog = std::string(argv[0]) + " train";
  std::vector<char*> rest(argv + 1, argv + argc);
  rest[0] = prog.data();
  return run_tokenizer_train(static_cast<int>(rest.size()), rest.data());
}

}  // namespace

PLUMA_COMMAND("tokenizer", "Train a tokenizer: pluma tokenizer train --kind char|word|bpe|unigram --input FILE --out tok.model",
              run_tokenizer);
