// pluma bleu: corpus BLEU of a hypothesis file against a reference file (sacreBLEU's default settings).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "generate/bleu.h"
#include "tools/command.h"

namespace {

struct bleu_config {
  std::string ref;    // reference file, one segment per line
  std::string hyp;    // hypothesis file, line i translates the same source as reference line i
  bool json = false;  // print a JSON object instead of the one-line report
};

nlohmann::json bleu_to_json(const pluma::bleu_stats& s) {
  return {{"name", "BLEU"},
          {"score", s.score},
          {"precisions", s.precisions},
          {"counts", s.matches},
          {"totals", s.totals},
          {"bp", s.bp},
          {"ratio", s.ratio},
          {"hyp_len", s.hyp_len},
          {"ref_len", s.ref_len},
          {"signature", pluma::bleu_signature},
          {"verbose_score", pluma::bleu_format(s)}};
}

int run_bleu(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Corpus BLEU as sacreBLEU computes it by default (13a tokenization, cased, "
                                 "4-grams, brevity penalty, exp smoothing)");
  opts.add_options()
      ("ref", "Reference file (UTF-8, one segment per line)", cxxopts::value<std::string>())
      ("hyp", "Hypothesis file, parallel to --ref", cxxopts::value<std::string>())
      ("json", "Print a JSON object (score, precisions, counts, bp, ratio, lengths, signature)");
  pluma::cli::add_help(opts);
  auto args = pluma::cli::parse_or_exit(opts, argc, argv);
  if (!args.count("ref")) pluma::cli::usage_error(opts, "missing --ref FILE (the reference translations)");
  if (!args.count("hyp")) pluma::cli::usage_error(opts, "missing --hyp FILE (the system output)");

  bleu_config cfg;
  cfg.ref = args["ref"].as<std::string>();
  cfg.hyp = args["hyp"].as<std::string>();
  cfg.json = args.count("json") > 0;

  pluma::bleu_stats stats;
  pluma::status st = pluma::bleu_files(cfg.ref, cfg.hyp, stats);
  if (!st) pluma::cli::fail(st.message());
  if (cfg.json)
    std::cout << bleu_to_json(stats).dump(1) << "\n";
  else
    std::cout << pluma::bleu_format(stats) << "\n";
  return 0;
}

}  // namespace

PLUMA_COMMAND("bleu", "Corpus BLEU of a hypothesis file against a reference (sacreBLEU default, 13a)", run_bleu);
