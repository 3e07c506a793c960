// Corpus BLEU with the 13a tokenizer; see bleu.h for the definition followed.
#include "generate/bleu.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "model/core/check.h"

namespace pluma {

namespace {

// ---- whitespace as Python's str.split()/rstrip() see it (the Unicode White_Space set it uses) ----

// Byte length of the whitespace character starting at s[i], or 0 if s[i] does not start one.
size_t space_len_at(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  unsigned c0 = b(0);
  if ((c0 >= 0x09 && c0 <= 0x0D) || (c0 >= 0x1C && c0 <= 0x20)) return 1;
  if (c0 == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0)) return 2;               // U+0085, U+00A0
  if (c0 == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;                 // U+1680
  if (c0 == 0xE2 && b(1) == 0x80) {
    unsigned c2 = b(2);
    if ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) return 3;  // U+2000-200A, 2028, 2029, 202F
  }
  if (c0 == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;                 // U+205F
  if (c0 == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;                 // U+3000
  return 0;
}

// Advance i past one character (one byte if s[i] is not a UTF-8 lead byte).
size_t next_char(std::string_view s, size_t i) {
  size_t j = i + 1;
  while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) j++;
  return j;
}

std::string_view rstrip(std::string_view s) {
  size_t end = 0;  // one past the last non-whitespace character
  for (size_t i = 0; i < s.size();) {
    size_t w = space_len_at(s, i);
    if (w) {
      i += w;
    } else {
      i = next_char(s, i);
      end = i;
    }
  }
  return s.substr(0, end);
}

// Tokens separated by any run of whitespace, as views into s.
std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < s.size();) {
    size_t w = space_len_at(s, i);
    if (w) {
      if (start != std::string_view::npos) out.push_back(s.substr(start, i - start));
      start = std::string_view::npos;
      i += w;
    } else {
      if (start == std::string_view::npos) start = i;
      i = next_char(s, i);
    }
  }
  if (start != std::string_view::npos) out.push_back(s.substr(start));
  return out;
}

// ---- the 13a rules ----

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos);
  s = std::move(out);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_period_comma(char c) { return c == '.' || c == ','; }

// ASCII punctuation split off everywhere: space..&, (..+, /, :..@, [..`, {..~ (all but ' , - .).
bool is_split_punct(char c) {
  return (c >= ' ' && c <= '&') || (c >= '(' && c <= '+') || c == '/' || (c >= ':' && c <= '@') ||
         (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

// One left-to-right pass over two-character matches that do not overlap: where first(s[i]) and second(s[i+1])
// hold, writes what `emit` returns for the pair and continues after it; else copies s[i].
template <class first_fn, class second_fn, class emit_fn>
std::string rewrite_pairs(const std::string& s, first_fn first, second_fn second, emit_fn emit) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  size_t i = 0;
  while (i < s.size()) {
    if (i + 1 < s.size() && first(s[i]) && second(s[i + 1])) {
      emit(out, s[i], s[i + 1]);
      i += 2;
    } else {
      out += s[i++];
    }
  }
  return out;
}

// ---- n-gram statistics ----

// Counts of all n-grams (n = 1..4) of a tokenized segment, keyed by their text (tokens joined by one space,
// so the key is a view into `line` and n-grams of different orders never collide).
using ngram_counts = std::unordered_map<std::string_view, int64_t>;

ngram_counts count_ngrams(std::string_view line, const std::vector<std::string_view>& toks) {
  ngram_counts counts;
  for (int n = 1; n <= bleu_max_order; n++) {
    for (size_t i = 0; i + n <= toks.size(); i++) {
      const char* b = toks[i].data();
      const char* e = toks[i + n - 1].data() + toks[i + n - 1].size();
      counts[std::string_view(b, static_cast<size_t>(e - b))]++;
    }
  }
  return counts;
}

int order_of(std::string_view ngram) {
  int spaces = 0;
  for (char c : ngram) spaces += c == ' ';
  return spaces + 1;
}

// log of a precision, with log(0) floored to a huge negative number so that the score becomes 0.
double floored_log(double p) { return p == 0.0 ? -9999999999.0 : std::log(p); }

// Precisions, brevity penalty and score from the summed counts and lengths.
void bleu_finish(bleu_stats& s) {
  if (s.hyp_len < s.ref_len)
    s.bp = s.hyp_len > 0 ? std::exp(1.0 - static_cast<double>(s.ref_len) / static_cast<double>(s.hyp_len)) : 0.0;
  else
    s.bp = 1.0;
  s.ratio = s.ref_len ? static_cast<double>(s.hyp_len) / static_cast<double>(s.ref_len) : 0.0;
  s.precisions.fill(0.0);
  s.score = 0.0;
  bool any_match = false;
  for (int64_t m : s.matches) any_match |= m > 0;
  if (!any_match) return;
  double smooth = 1.0;  // 'exp' smoothing: each order without matches halves the pseudo-count again
  for (int n = 0; n < bleu_max_order; n++) {
    if (s.totals[n] == 0) break;  // no n-grams this long: precision stays 0, so BLEU is 0
    if (s.matches[n] == 0) {
      smooth *= 2.0;
      s.precisions[n] = 100.0 / (smooth * static_cast<double>(s.totals[n]));
    } else {
      s.precisions[n] = 100.0 * static_cast<double>(s.matches[n]) / static_cast<double>(s.totals[n]);
    }
  }
  double log_sum = 0.0;
  for (double p : s.precisions) log_sum += floored_log(p);
  s.score = s.bp * std::exp(log_sum / bleu_max_order);
}

// ---- files ----

// Byte offset of the first ill-formed UTF-8 sequence in s (overlongs, surrogates, > U+10FFFF, truncated), or npos.
size_t first_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned c = static_cast<unsigned char>(s[i]);
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) { i++; continue; }
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return i;
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; k++) {
      unsigned b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// The segments of a text file: split on '\n' only (a '\r' stays and is stripped as trailing whitespace);
// a final line without '\n' still counts; an empty file has none.
status read_segments(const std::string& path, const char* role, std::vector<std::string>& lines) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return status::error(std::string("cannot open ") + role + " file '" + path + "': check the path");
  std::ostringstream buf;
  buf << f.rdbuf();
  std::string text = buf.str();
  if (text.empty())
    return status::error(std::string(role) + " file '" + path + "' is empty: expected one segment per line");
  size_t bad = first_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    size_t line = 1;
    for (size_t k = 0; k < bad; k++) line += text[k] == '\n';
    return status::error(std::string(role) + " file '" + path + "' is not valid UTF-8 (line " + std::to_string(line) +
                         "): convert it to UTF-8");
  }
  lines.clear();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.emplace_back(text, pos, nl - pos);
    pos = nl + 1;
  }
  return status::ok();
}

}  // namespace

std::string tokenize_13a(std::string_view line) {
  std::string s(rstrip(line));
  replace_all(s, "<skipped>", "");
  replace_all(s, "-\n", "");
  replace_all(s, "\n", " ");
  replace_all(s, "&quot;", "\"");
  replace_all(s, "&amp;", "&");
  replace_all(s, "&lt;", "<");
  replace_all(s, "&gt;", ">");

  std::string t;
  t.reserve(s.size() * 2 + 2);
  t += ' ';
  for (char c : s) {
    if (is_split_punct(c)) {
      t += ' ';
      t += c;
      t += ' ';
    } else {
      t += c;
    }
  }
  t += ' ';

  auto not_digit = [](char c) { return !is_digit(c); };
  auto dash = [](char c) { return c == '-'; };
  // period and comma, unless preceded by a digit
  t = rewrite_pairs(t, not_digit, is_period_comma, [](std::string& o, char a, char b) { o += a; o += ' '; o += b; o += ' '; });
  // period and comma, unless followed by a digit
  t = rewrite_pairs(t, is_period_comma, not_digit, [](std::string& o, char a, char b) { o += ' '; o += a; o += ' '; o += b; });
  // dash after a digit
  t = rewrite_pairs(t, is_digit, dash, [](std::string& o, char a, char b) { o += a; o += ' '; o += b; o += ' '; });

  std::string out;
  out.reserve(t.size());
  for (std::string_view tok : split_ws(t)) {
    if (!out.empty()) out += ' ';
    out += tok;
  }
  return out;
}

bleu_stats bleu_corpus(const std::vector<std::string>& hyps, const std::vector<std::string>& refs) {
  PLUMA_CHECK(hyps.size() == refs.size(), "bleu_corpus needs one reference per hypothesis");
  bleu_stats s;
  for (size_t k = 0; k < hyps.size(); k++) {
    std::string hyp = tokenize_13a(hyps[k]);
    std::string ref = tokenize_13a(refs[k]);
    std::vector<std::string_view> hyp_toks = split_ws(hyp);
    std::vector<std::string_view> ref_toks = split_ws(ref);
    s.hyp_len += static_cast<int64_t>(hyp_toks.size());
    s.ref_len += static_cast<int64_t>(ref_toks.size());
    ngram_counts ref_counts = count_ngrams(ref, ref_toks);
    for (const auto& [ngram, count] : count_ngrams(hyp, hyp_toks)) {
      int n = order_of(ngram) - 1;
      s.totals[n] += count;
      auto it = ref_counts.find(ngram);
      if (it != ref_counts.end()) s.matches[n] += std::min(count, it->second);  // clipped by the reference count
    }
  }
  bleu_finish(s);
  return s;
}

status bleu_files(const std::string& ref_path, const std::string& hyp_path, bleu_stats& out) {
  std::vector<std::string> refs, hyps;
  PLUMA_TRY(read_segments(ref_path, "reference", refs));
  PLUMA_TRY(read_segments(hyp_path, "hypothesis", hyps));
  if (refs.size() != hyps.size())
    return status::error("hypothesis file '" + hyp_path + "' has " + std::to_string(hyps.size()) +
                         " lines but reference file '" + ref_path + "' has " + std::to_string(refs.size()) +
                         ": they must be parallel, one segment per line");
  out = bleu_corpus(hyps, refs);
  return status::ok();
}

std::string bleu_format(const bleu_stats& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %lld ref_len = %lld)",
                s.score, s.precisions[0], s.precisions[1], s.precisions[2], s.precisions[3], s.bp, s.ratio,
                static_cast<long long>(s.hyp_len), static_cast<long long>(s.ref_len));
  return buf;
}

}  // namespace pluma
