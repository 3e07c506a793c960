#include "model/embed/query.h"

#include <algorithm>
#include <cmath>

#include "tokenizer/utf8.h"

namespace pluma {

unit_vectors unit_vectors_make(const word_vectors& v) {
  unit_vectors u;
  u.source = &v;
  u.data = v.data;
  const int N = v.size(), D = v.dim;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < N; i++) {
    float* r = u.data.data() + static_cast<size_t>(i) * D;
    double ss = 0;
    for (int k = 0; k < D; k++) ss += static_cast<double>(r[k]) * r[k];
    float inv = ss > 0 ? static_cast<float>(1.0 / std::sqrt(ss)) : 0.0f;
    for (int k = 0; k < D; k++) r[k] *= inv;
  }
  return u;
}

namespace {

uint32_t lower_cp(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0xC0) return c;
  if (c <= 0xDE) return c == 0xD7 ? c : c + 32;                                  // Latin-1
  if (c >= 0x100 && c <= 0x137) return c | 1;                                     // Latin Extended-A
  if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
  if (c >= 0x14A && c <= 0x177) return c | 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;                      // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 32;                                    // Cyrillic
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

}  // namespace

std::string utf8_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    uint32_t cp = 0;
    if (!utf8_next(s, pos, cp)) {   // invalid bytes pass through unchanged
      out.append(s.substr(start, pos - start));
      continue;
    }
    utf8_append(out, lower_cp(cp));
  }
  return out;
}

int vectors_lookup(const word_vectors& v, std::string_view word, bool case_fallback) {
  // SentencePiece pieces that start a word carry U+2581 '▁': "rey" finds "▁rey" when "rey" is absent.
  const std::string marked = "\xE2\x96\x81" + std::string(word);
  int r = v.find(word);
  if (r < 0) r = v.find(marked);
  if (r >= 0 || !case_fallback) return r;
  const std::string low = utf8_lower(word), low_marked = utf8_lower(marked);
  for (int i = 0; i < v.size(); i++) {
    std::string w = utf8_lower(v.words[i]);
    if (w == low || w == low_marked) return i;
  }
  return -1;
}

namespace {

// Keeps the `top` best (higher score first, ties by lower row) of scores[0..n), skipping `exclude`.
std::vector<scored_word> select_top(const std::vector<float>& scores, int top, const std::vector<int>& exclude) {
  std::vector<int> idx;
  idx.reserve(scores.size());
  for (int i = 0; i < static_cast<int>(scores.size()); i++)
    if (std::find(exclude.begin(), exclude.end(), i) == exclude.end() && !std::isnan(scores[i])) idx.push_back(i);
  auto better = [&](int a, int b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; };
  int k = std::min<int>(top, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), better);
  std::vector<scored_word> out;
  for (int i = 0; i < k; i++) out.push_back({idx[i], scores[idx[i]]});
  return out;
}

int rows_limit(const unit_vectors& u, int limit) {
  int n = u.source->size();
  return limit > 0 ? std::min(limit, n) : n;
}

// scores[i] = u.row(i) · q for the first n rows.
std::vector<float> dots(const unit_vectors& u, const float* q, int n) {
  const int D = u.source->dim;
  std::vector<float> s(n);
#pragma omp parallel for schedule(static) if (n > 20000)
  for (int i = 0; i < n; i++) {
    const float* r = u.row(i);
    float acc = 0;
    for (int k = 0; k < D; k++) acc += r[k] * q[k];
    s[i] = acc;
  }
  return s;
}

}  // namespace

std::vector<scored_word> nearest_to_vector(const unit_vectors& u, const float* query, int top,
                                           const std::vector<int>& exclude, int limit) {
  const int D = u.source->dim;
  std::vector<float> q(query, query + D);
  double ss = 0;
  for (float x : q) ss += static_cast<double>(x) * x;
  if (ss > 0)
    for (float& x : q) x = static_cast<float>(x / std::sqrt(ss));
  return select_top(dots(u, q.data(), rows_limit(u, limit)), top, exclude);
}

status analogy_parse(std::string_view expr, analogy_terms& out) {
  out = analogy_terms{};
  int sign = 0;        // pending operator: +1, -1, 0 none
  bool expect_word = true;
  size_t i = 0;
  auto bad = [&](const std::string& why) {
    return status::error("malformed analogy '" + std::string(expr) + "': " + why +
                         " (write it as \"rey - hombre + mujer\")");
  };
  bool first = true;
  while (i < expr.size()) {
    char c = expr[i];
    if (c == ' ' || c == '\t') { i++; continue; }
    if (c == '+' || c == '-') {
      // binary after a word; unary only before the first word
      if (expect_word && !(first && sign == 0)) return bad(std::string("'") + c + "' where a word was expected");
      sign = c == '+' ? 1 : -1;
      expect_word = true;
      i++;
      continue;
    }
    if (!expect_word) return bad("two words in a row need a + or - between them");
    size_t j = i;   // a word runs to a space, a '+', or a '-' that is followed by a space or ends the text
    while (j < expr.size() && expr[j] != ' ' && expr[j] != '\t' && expr[j] != '+' &&
           !(expr[j] == '-' && (j + 1 == expr.size() || expr[j + 1] == ' ')))
      j++;
    (sign < 0 ? out.negative : out.positive).emplace_back(expr.substr(i, j - i));
    sign = 0;
    expect_word = false;
    first = false;
    i = j;
  }
  if (out.positive.empty() && out.negative.empty()) return bad("no words");
  if (expect_word) return bad("it ends with an operator");
  if (out.positive.empty()) return bad("at least one word must be added");
  return status::ok();
}

std::vector<scored_word> analogy_rows(const unit_vectors& u, const std::vector<int>& positive,
                                      const std::vector<int>& negative, analogy_method method, int top,
                                      int limit) {
  std::vector<int> exclude = positive;
  exclude.insert(exclude.end(), negative.begin(), negative.end());
  const int D = u.source->dim, n = rows_limit(u, limit);
  if (method == analogy_method::add) {
    std::vector<float> q(D, 0.0f);
    for (int p : positive) for (int k = 0; k < D; k++) q[k] += u.row(p)[k];
    for (int m : negative) for (int k = 0; k < D; k++) q[k] -= u.row(m)[k];
    return nearest_to_vector(u, q.data(), top, exclude, limit);
  }
  std::vector<float> score(n, 1.0f), den(n, 1.0f);
  for (int p : positive) {
    auto s = dots(u, u.row(p), n);
    for (int i = 0; i < n; i++) score[i] *= (1 + s[i]) / 2;
  }
  for (int m : negative) {
    auto s = dots(u, u.row(m), n);
    for (int i = 0; i < n; i++) den[i] *= (1 + s[i]) / 2;
  }
  for (int i = 0; i < n; i++) score[i] /= den[i] + 0.001f;
  return select_top(score, top, exclude);
}

}  // namespace pluma
