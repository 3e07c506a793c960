// pluma score: how well a text fits what the model learned, token by token.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "data/corpus.h"
#include "generate/inspect.h"
#include "generate/inspect_json.h"
#include "tools/cli_common.h"

namespace pluma::cli {
namespace {

int run_score(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Score a text: per-token log-probability, surprisal, rank and the model's top\n"
                                 "alternatives; totals: mean loss, perplexity, bits per character.");
  add_model_options(opts);
  opts.add_options()
    ("input", "Text file to score (UTF-8)", cxxopts::value<std::string>())
    ("top", "Alternatives shown per position", cxxopts::value<int>()->default_value("3"))
    ("json", "Print JSON");
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  if (!r.count("input")) usage_error(opts, "--input FILE is required");
  int top = r["top"].as<int>();
  if (top < 0) usage_error(opts, "--top must be >= 0");

  std::unique_ptr<lm_model> model;
  std::unique_ptr<tokenizer> tok;
  load_model_or_exit(opts, r, model, tok);
  std::string text;
  if (status st = corpus_read(r["input"].as<std::string>(), text); !st) fail(st.message());
  std::vector<int> ids = tok->encode(text);
  if (ids.size() < 2) fail(r["input"].as<std::string>() + " has fewer than 2 tokens: nothing to score");

  score_result res;
  score_tokens(*model, *tok, ids, top, res);
  if (r.count("json")) {
    std::cout << score_json(*tok, res).dump(1) << std::endl;
    return 0;
  }
  std::printf("%6s  %-12s %9s %9s %6s  %s\n", "pos", "token", "logprob", "bits", "rank", "top alternatives");
  for (size_t i = 0; i < res.tokens.size(); i++) {
    const auto& t = res.tokens[i];
    std::string alts;
    for (const auto& a : t.top) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %.3f", a.prob);
      alts += piece_display(tok->id_to_piece(a.id)) + buf + "  ";
    }
    std::printf("%6zu  %-12s %9.3f %9.2f %6d  %s\n", i + 1, piece_display(tok->id_to_piece(t.id)).c_str(),
                t.logprob, -t.logprob / std::log(2.0), t.rank, alts.c_str());
  }
  std::printf("\ntokens %zu  chars %zu  loss %.4f  perplexity %.3f  bits/char %.4f\n", res.tokens.size(),
              res.chars, res.loss, res.perplexity, res.bits_per_char);
  return 0;
}

}  // namespace
PLUMA_COMMAND("score", "Score a text token by token (loss, perplexity, bits/char)", run_score);
}  // namespace pluma::cli
