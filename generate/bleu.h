// Corpus BLEU as sacreBLEU computes it by default: the 13a tokenizer (mteval-v13a rules), case-sensitive,
// one reference per segment, n-grams up to 4 with counts clipped per segment and summed over the corpus,
// brevity penalty exp(1 - r/c) when c < r, geometric mean of the four precisions with the 'exp' smoothing
// (an order with zero matches counts as 1/(2^k * total), k = how many zero orders so far), score x100.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/core/status.h"

namespace pluma {

constexpr int bleu_max_order = 4;

struct bleu_stats {
  std::array<int64_t, bleu_max_order> matches{};  // clipped n-gram matches, n = 1..4, summed over segments
  std::array<int64_t, bleu_max_order> totals{};   // hypothesis n-grams, n = 1..4
  std::array<double, bleu_max_order> precisions{};  // percent (smoothed where matches are 0)
  int64_t hyp_len = 0;  // hypothesis tokens after 13a tokenization
  int64_t ref_len = 0;  // reference tokens
  double bp = 0;        // brevity penalty
  double ratio = 0;     // hyp_len / ref_len (0 when ref_len is 0)
  double score = 0;     // BLEU, 0..100
};

// The 13a tokenization of one segment (trailing whitespace stripped first, as sacreBLEU does); tokens are
// joined by single spaces. Works on UTF-8 bytes; only ASCII punctuation is split off.
std::string tokenize_13a(std::string_view line);

// Corpus BLEU of hyps[i] against refs[i]. hyps and refs must have the same size (checked).
bleu_stats bleu_corpus(const std::vector<std::string>& hyps, const std::vector<std::string>& refs);

// Reads both files (UTF-8, one segment per line) and scores them. Errors: missing/unreadable or empty file,
// invalid UTF-8 (names the line), different line counts (names both counts).
status bleu_files(const std::string& ref_path, const std::string& hyp_path, bleu_stats& out);

// sacreBLEU's one-line report:
// "BLEU = 34.27 65.1/40.3/27.1/18.6 (BP = 1.000 ratio = 1.012 hyp_len = 12345 ref_len = 12200)"
std::string bleu_format(const bleu_stats& s);

// sacreBLEU's signature for these settings.
inline constexpr const char* bleu_signature = "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp";

}  // namespace pluma
