// pluma embed train (word2vec) and pluma embed map (a PCA picture of chosen words).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "model/embed/projection.h"
#include "model/embed/query.h"
#include "tokenizer/corpus_path.h"
#include "tools/cmd_embed.h"
#include "train/word2vec.h"

namespace pluma::cli {

namespace {

std::string duration(double s) {
  char b[32];
  int x = static_cast<int>(s + 0.5);
  if (x >= 3600) std::snprintf(b, sizeof b, "%dh%02dm", x / 3600, x / 60 % 60);
  else std::snprintf(b, sizeof b, "%dm%02ds", x / 60, x % 60);
  return b;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) {
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

int embed_train(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Train word2vec (negative sampling) on a text corpus: words split on whitespace, one sentence per line.");
  word2vec_config d;
  opts.add_options()
    ("input", "Corpus: a text file or data name (e.g. quijote)", cxxopts::value<std::string>())
    ("out", "Vectors file to write (word2vec text format)", cxxopts::value<std::string>())
    ("binary", "Write word2vec's binary format instead")
    ("normalize", "Lowercase the corpus and keep only runs of letters (drops punctuation and digits)")
    ("model", "skipgram or cbow", cxxopts::value<std::string>()->default_value("skipgram"))
    ("dim", "Vector width", cxxopts::value<int>()->default_value(std::to_string(d.dim)))
    ("window", "Context words each side (max)", cxxopts::value<int>()->default_value(std::to_string(d.window)))
    ("negative", "Negative samples per window", cxxopts::value<int>()->default_value(std::to_string(d.negative)))
    ("min-count", "Ignore words seen fewer times", cxxopts::value<int>()->default_value(std::to_string(d.min_count)))
    ("sample", "Subsampling threshold of frequent words (0: off)", cxxopts::value<double>()->default_value("1e-3"))
    ("epochs", "Passes over the corpus", cxxopts::value<int>()->default_value(std::to_string(d.epochs)))
    ("alpha", "Starting learning rate", cxxopts::value<float>()->default_value("0.025"))
    ("min-alpha", "Final learning rate", cxxopts::value<float>()->default_value("0.0001"))
    ("threads", "Training threads", cxxopts::value<int>()->default_value("1"))
    ("seed", "Random seed (one thread: the same seed gives the same vectors)", cxxopts::value<uint64_t>()->default_value("1"))
    ("quiet", "No progress line");
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  if (!r.count("input")) usage_error(opts, "--input CORPUS is required");
  if (!r.count("out")) usage_error(opts, "--out FILE is required");
  word2vec_config cfg;
  status st = word2vec_arch_parse(r["model"].as<std::string>(), cfg.arch);
  if (!st) usage_error(opts, "--model: " + st.message());
  cfg.dim = r["dim"].as<int>();
  cfg.window = r["window"].as<int>();
  cfg.negative = r["negative"].as<int>();
  cfg.min_count = r["min-count"].as<int>();
  cfg.sample = r["sample"].as<double>();
  cfg.epochs = r["epochs"].as<int>();
  cfg.alpha = r["alpha"].as<float>();
  cfg.min_alpha = r["min-alpha"].as<float>();
  cfg.threads = r["threads"].as<int>();
  cfg.seed = r["seed"].as<uint64_t>();
  st = word2vec_config_check(cfg);
  if (!st) usage_error(opts, st.message());
  std::string path;
  st = corpus_resolve(r["input"].as<std::string>(), path);
  if (!st) fail(st.message());
  word2vec_corpus corpus;
  st = word2vec_corpus_read(path, cfg.min_count, corpus, r.count("normalize") > 0);
  if (!st) fail(st.message());
  bool quiet = r.count("quiet");
  if (!quiet)
    std::fprintf(stderr, "pluma: %s, %lld words, vocabulary %zu (min count %d), %s dim %d window %d negative %d, %d epochs, %d threads\n",
                 path.c_str(), static_cast<long long>(corpus.raw_words), corpus.words.size(), cfg.min_count,
                 word2vec_arch_name(cfg.arch), cfg.dim, cfg.window, cfg.negative, cfg.epochs, cfg.threads);
  auto show = [&](const word2vec_progress& p) {
    if (quiet) return;
    std::fprintf(stderr, "\rpluma: %5.1f%%  %.0f words/s  alpha %.5f  elapsed %s  ETA %s   ",
                 100.0 * p.words_done / std::max<int64_t>(1, p.words_total), p.words_per_s, p.alpha,
                 duration(p.seconds).c_str(), duration(p.eta_s).c_str());
    std::fflush(stderr);
  };
  word_vectors v;
  word2vec_progress stats;
  st = word2vec_train(corpus, cfg, v, &stats, show);
  if (!st) fail(st.message());
  if (!quiet) std::fprintf(stderr, "\n");
  std::string out = r["out"].as<std::string>();
  st = vectors_write(out, v, r.count("binary") ? vectors_format::binary : vectors_format::text);
  if (!st) fail(st.message());
  // One machine-readable summary line on stdout (benchmarks read it).
  std::printf("{\"words\": %lld, \"vocab\": %d, \"seconds\": %.3f, \"words_per_s\": %.0f, \"out\": \"%s\"}\n",
              static_cast<long long>(stats.words_done), v.size(), stats.seconds, stats.words_per_s, out.c_str());
  return 0;
}

int embed_map(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "A 2-D map (PCA) of words as SVG, labelled, with arrows for pairs and analogies.");
  opts.add_options()
    ("vectors", "Word vectors: a word2vec text/binary file or a .pluma checkpoint", cxxopts::value<std::string>())
    ("words", "Comma-separated words to place", cxxopts::value<std::string>()->default_value(""))
    ("pairs", "Comma-separated arrows FROM:TO, e.g. \"hombre:rey,mujer:reina\"", cxxopts::value<std::string>()->default_value(""))
    ("analogy", "An analogy \"rey - hombre + mujer\": its words, its answer, and the arrows hombre->rey, mujer->answer",
     cxxopts::value<std::string>()->default_value(""))
    ("out", "SVG file to write", cxxopts::value<std::string>());
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  if (!r.count("out")) usage_error(opts, "--out FILE.svg is required");
  std::vector<std::string> words = split(r["words"].as<std::string>(), ',');
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& p : split(r["pairs"].as<std::string>(), ',')) {
    auto parts = split(p, ':');
    if (parts.size() != 2) usage_error(opts, "--pairs: '" + p + "' is not FROM:TO");
    pairs.emplace_back(parts[0], parts[1]);
  }
  analogy_terms terms;
  std::string expr = r["analogy"].as<std::string>();
  if (!expr.empty()) {
    status st = analogy_parse(expr, terms);
    if (!st) usage_error(opts, st.message());
    if (terms.positive.size() != 2 || terms.negative.size() != 1)
      usage_error(opts, "--analogy needs the form \"a - b + c\" (two added words, one subtracted)");
  }
  if (words.empty() && pairs.empty() && expr.empty()) usage_error(opts, "give --words, --pairs or --analogy");
  word_vectors v = load_vectors_or_exit(opts, r);
  std::vector<int> rows;
  std::vector<std::string> labels;
  auto place = [&](const std::string& w) {
    int row = word_row_or_exit(v, w);
    for (size_t i = 0; i < rows.size(); i++) if (rows[i] == row) return static_cast<int>(i);
    rows.push_back(row);
    labels.push_back(v.words[row]);
    return static_cast<int>(rows.size() - 1);
  };
  for (const auto& w : words) place(w);
  std::vector<map_arrow> arrows;
  for (const auto& [a, b] : pairs) arrows.push_back({place(a), place(b)});
  std::string title = "PCA of " + r["vectors"].as<std::string>();
  if (!expr.empty()) {
    int a = word_row_or_exit(v, terms.positive[0]), b = word_row_or_exit(v, terms.negative[0]), c = word_row_or_exit(v, terms.positive[1]);
    unit_vectors u = unit_vectors_make(v);
    auto best = analogy_rows(u, {a, c}, {b}, analogy_method::add, 1);
    if (best.empty()) fail("the analogy has no answer (the vectors hold only its own words)");
    arrows.push_back({place(v.words[b]), place(v.words[a])});
    arrows.push_back({place(v.words[c]), place(v.words[best[0].row])});
    title += ": " + expr + " = " + v.words[best[0].row];
  }
  if (rows.size() < 2) usage_error(opts, "a map needs at least two distinct words");
  std::string svg = map_svg(pca_2d(v, rows), labels, arrows, title);
  std::string out = r["out"].as<std::string>();
  std::ofstream f(out, std::ios::binary);
  if (!(f << svg) || !f.flush()) fail("cannot write '" + out + "'");
  std::fprintf(stderr, "pluma: wrote %s (%zu words, %zu arrows)\n", out.c_str(), rows.size(), arrows.size());
  return 0;
}

}  // namespace pluma::cli
