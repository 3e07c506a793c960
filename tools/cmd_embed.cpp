// pluma embed: nearest words, analogies and the analogy test on word vectors (a vectors file or a
// checkpoint's embedding table); map and train are in cmd_embed_train.cpp.
#include "tools/cmd_embed.h"

#include <cstdio>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "model/core/threads.h"
#include "model/embed/evaluate.h"
#include "model/embed/query.h"
#include "tokenizer/corpus_path.h"

namespace pluma::cli {

word_vectors load_vectors_or_exit(const cxxopts::Options& opts, const cxxopts::ParseResult& r) {
  if (!r.count("vectors")) usage_error(opts, "--vectors FILE is required (a vectors file or a .pluma checkpoint)");
  word_vectors v;
  status st = vectors_read(r["vectors"].as<std::string>(), v);
  if (!st) fail(st.message());
  if (v.size() == 0) fail("vectors file '" + r["vectors"].as<std::string>() + "' has no words");
  return v;
}

int word_row_or_exit(const word_vectors& v, const std::string& word) {
  int row = vectors_lookup(v, word);
  if (row < 0) fail("unknown word '" + word + "' (not among the " + std::to_string(v.size()) + " words of the vectors)");
  return row;
}

namespace {

void add_vectors_option(cxxopts::Options& opts) {
  opts.add_options()
    ("vectors", "Word vectors: a word2vec text/binary file or a .pluma checkpoint", cxxopts::value<std::string>())
    ("json", "Print JSON");
}

nlohmann::json answers_json(const word_vectors& v, const std::vector<scored_word>& s) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : s) a.push_back({{"word", v.words[x.row]}, {"similarity", x.similarity}});
  return a;
}

void print_answers(const word_vectors& v, const std::vector<scored_word>& s, const char* score_name) {
  std::printf("%-20s %s\n", "word", score_name);
  for (const auto& x : s) std::printf("%-20s %.4f\n", v.words[x.row].c_str(), x.similarity);
}

int top_or_usage(const cxxopts::Options& opts, const cxxopts::ParseResult& r) {
  int top = r["top"].as<int>();
  if (top < 1) usage_error(opts, "--top must be at least 1");
  return top;
}

}  // namespace

int embed_nearest(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "The words nearest to a word, by cosine similarity.");
  add_vectors_option(opts);
  opts.add_options()
    ("word", "The word (exact, else case-insensitive)", cxxopts::value<std::string>())
    ("top", "How many words", cxxopts::value<int>()->default_value("10"));
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  if (!r.count("word")) usage_error(opts, "--word WORD is required");
  int top = top_or_usage(opts, r);
  word_vectors v = load_vectors_or_exit(opts, r);
  int row = word_row_or_exit(v, r["word"].as<std::string>());
  unit_vectors u = unit_vectors_make(v);
  auto best = nearest_to_vector(u, v.row(row), top, {row});
  if (r.count("json")) {
    std::cout << nlohmann::json{{"word", v.words[row]}, {"nearest", answers_json(v, best)}}.dump(2) << std::endl;
  } else {
    print_answers(v, best, "similarity");
  }
  return 0;
}

int embed_analogy(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "An analogy: \"rey - hombre + mujer\" -> the words nearest to the sum (query words excluded).");
  add_vectors_option(opts);
  opts.add_options()
    ("expression", "The analogy, e.g. \"rey - hombre + mujer\"", cxxopts::value<std::string>())
    ("method", "add (3CosAdd) or mul (3CosMul)", cxxopts::value<std::string>()->default_value("add"))
    ("top", "How many answers", cxxopts::value<int>()->default_value("5"));
  opts.parse_positional({"expression"});
  opts.positional_help("\"EXPRESSION\"");
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  if (!r.count("expression")) usage_error(opts, "the analogy is required, e.g. pluma embed analogy --vectors V \"rey - hombre + mujer\"");
  std::string method = r["method"].as<std::string>();
  if (method != "add" && method != "mul") usage_error(opts, "--method must be add or mul (got '" + method + "')");
  int top = top_or_usage(opts, r);
  analogy_terms terms;
  status st = analogy_parse(r["expression"].as<std::string>(), terms);
  if (!st) usage_error(opts, st.message());
  word_vectors v = load_vectors_or_exit(opts, r);
  std::vector<int> pos, neg;
  std::string unknown;
  auto resolve = [&](const std::vector<std::string>& words, std::vector<int>& rows) {
    for (const auto& w : words) {
      int row = vectors_lookup(v, w);
      if (row < 0) unknown += (unknown.empty() ? "'" : ", '") + w + "'";
      rows.push_back(row);
    }
  };
  resolve(terms.positive, pos);
  resolve(terms.negative, neg);
  if (!unknown.empty()) fail("unknown word(s) in the analogy: " + unknown + " (not among the " + std::to_string(v.size()) + " words of the vectors)");
  unit_vectors u = unit_vectors_make(v);
  auto best = analogy_rows(u, pos, neg, method == "mul" ? analogy_method::mul : analogy_method::add, top);
  if (r.count("json")) {
    nlohmann::json j = {{"expression", r["expression"].as<std::string>()}, {"positive", terms.positive},
                        {"negative", terms.negative}, {"method", method}, {"answers", answers_json(v, best)}};
    std::cout << j.dump(2) << std::endl;
  } else {
    print_answers(v, best, method == "mul" ? "score" : "similarity");
  }
  return 0;
}

int embed_eval(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "The analogy test (word2vec's questions-words format): accuracy per section and overall, and coverage.");
  add_vectors_option(opts);
  opts.add_options()
    ("questions", "Questions file or data name", cxxopts::value<std::string>()->default_value("questions-words"))
    ("restrict-vocab", "Only the N most frequent words are known and searched (0: all)", cxxopts::value<int>()->default_value("300000"))
    ("case-sensitive", "Compare words as written (default: case-insensitive, as gensim)")
    ("method", "add (3CosAdd) or mul (3CosMul)", cxxopts::value<std::string>()->default_value("add"))
    ("threads", "CPU threads (default: all cores)", cxxopts::value<int>()->default_value("0"));
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  analogy_eval_config cfg;
  cfg.restrict_vocab = r["restrict-vocab"].as<int>();
  if (cfg.restrict_vocab < 0) usage_error(opts, "--restrict-vocab must be >= 0 (0: all words)");
  cfg.case_insensitive = !r.count("case-sensitive");
  std::string method = r["method"].as<std::string>();
  if (method != "add" && method != "mul") usage_error(opts, "--method must be add or mul (got '" + method + "')");
  cfg.method = method == "mul" ? analogy_method::mul : analogy_method::add;
  int threads = r["threads"].as<int>();
  if (threads < 0 || threads > 1024) usage_error(opts, "--threads must be between 1 and 1024");
  if (threads > 0) threads_set(threads);
  std::string qpath;
  status st = corpus_resolve(r["questions"].as<std::string>(), qpath);
  if (!st) fail(st.message());
  std::vector<analogy_section> questions;
  st = questions_read(qpath, questions);
  if (!st) fail(st.message());
  word_vectors v = load_vectors_or_exit(opts, r);
  auto res = analogy_evaluate(v, questions, cfg);
  if (r.count("json")) {
    auto js = [](const section_score& s) {
      return nlohmann::json{{"section", s.name}, {"asked", s.asked}, {"answered", s.answered}, {"correct", s.correct},
                            {"accuracy", s.accuracy()}, {"coverage", s.coverage()}};
    };
    nlohmann::json secs = nlohmann::json::array();
    for (const auto& s : res.sections) secs.push_back(js(s));
    std::cout << nlohmann::json{{"sections", secs}, {"total", js(res.total)}}.dump(2) << std::endl;
  } else {
    std::printf("%-28s %8s %8s %8s %9s %9s\n", "section", "asked", "answered", "correct", "accuracy", "coverage");
    auto row = [](const section_score& s) {
      std::printf("%-28s %8d %8d %8d %8.1f%% %8.1f%%\n", s.name.c_str(), s.asked, s.answered, s.correct,
                  100 * s.accuracy(), 100 * s.coverage());
    };
    for (const auto& s : res.sections) row(s);
    row(res.total);
  }
  return 0;
}

namespace {

struct subcommand {
  const char* name;
  const char* summary;
  command_fn run;
};

const subcommand subcommands[] = {
  {"nearest", "the nearest words to a word", embed_nearest},
  {"analogy", "\"rey - hombre + mujer\" by 3CosAdd or 3CosMul", embed_analogy},
  {"eval", "the analogy test: accuracy per section, coverage", embed_eval},
  {"map", "a 2-D PCA map of words as SVG, with analogy arrows", embed_map},
  {"train", "train word2vec (skip-gram or CBOW) on a text corpus", embed_train},
};

void print_usage(FILE* to) {
  std::fprintf(to, "Usage: pluma embed SUBCOMMAND [OPTIONS]   (pluma embed SUBCOMMAND --help for its options)\n\n");
  for (const auto& s : subcommands) std::fprintf(to, "  %-9s %s\n", s.name, s.summary);
}

int run_embed(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& s : subcommands) {
    if (std::strcmp(argv[1], s.name)) continue;
    std::string name = std::string(argv[0]) + " " + s.name;
    std::vector<char*> args(argv + 1, argv + argc);
    args[0] = name.data();
    return s.run(static_cast<int>(args.size()), args.data());
  }
  std::fprintf(stderr, "pluma embed: unknown subcommand '%s'\n", argv[1]);
  print_usage(stderr);
  return 2;
}

}  // namespace
PLUMA_COMMAND("embed", "Word vectors: nearest words, analogies, evaluation, maps, word2vec training", run_embed);
}  // namespace pluma::cli
