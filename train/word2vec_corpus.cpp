#include "train/word2vec_corpus.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "model/embed/query.h"
#include "tokenizer/utf8.h"

namespace pluma {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Calls fn(word) for each word and fn_eol() at each line end (also at the end of the text).
template <class F, class G>
void scan_words(const std::string& text, F fn, G fn_eol) {
  size_t i = 0, n = text.size();
  while (i < n) {
    char c = text[i];
    if (c == '\n') { fn_eol(); i++; continue; }
    if (is_space(c)) { i++; continue; }
    size_t j = i;
    while (j < n && !is_space(text[j]) && text[j] != '\n') j++;
    fn(std::string_view(text.data() + i, j - i));
    i = j;
  }
  fn_eol();
}

}  // namespace

status word2vec_corpus_from_text(const std::string& text, int min_count, word2vec_corpus& out) {
  out = word2vec_corpus{};
  std::unordered_map<std::string_view, int> first_id;   // views into text
  std::vector<std::string_view> seen;
  std::vector<int64_t> seen_count;
  std::vector<int32_t> seen_ids;                          // the corpus in first-appearance ids
  std::vector<int64_t> ends;
  scan_words(
      text,
      [&](std::string_view w) {
        auto [it, inserted] = first_id.try_emplace(w, static_cast<int>(seen.size()));
        if (inserted) { seen.push_back(w); seen_count.push_back(0); }
        seen_count[it->second]++;
        seen_ids.push_back(it->second);
      },
      [&] {
        if (!seen_ids.empty() && (ends.empty() || ends.back() != static_cast<int64_t>(seen_ids.size())))
          ends.push_back(static_cast<int64_t>(seen_ids.size()));
      });
  out.raw_words = static_cast<int64_t>(seen_ids.size());
  if (out.raw_words == 0) return status::error("the corpus has no words");
  std::vector<int> order(seen.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return seen_count[a] > seen_count[b]; });
  std::vector<int32_t> remap(seen.size(), -1);
  for (int o : order) {
    if (seen_count[o] < min_count) break;
    remap[o] = static_cast<int32_t>(out.words.size());
    out.words.emplace_back(seen[o]);
    out.counts.push_back(seen_count[o]);
  }
  if (out.words.empty())
    return status::error("no word occurs at least " + std::to_string(min_count) + " times (the corpus has " +
                         std::to_string(out.raw_words) + " words; lower --min-count)");
  int64_t start = 0;
  for (int64_t end : ends) {
    int64_t len = 0;
    for (int64_t k = start; k < end; k++) {
      int32_t id = remap[seen_ids[k]];
      if (id < 0) continue;
      out.ids.push_back(id);
      if (++len == word2vec_max_sentence) { out.sentence_end.push_back(out.kept_words()); len = 0; }
    }
    if (len > 0) out.sentence_end.push_back(out.kept_words());
    start = end;
  }
  return status::ok();
}

status word2vec_corpus_read(const std::string& path, int min_count, word2vec_corpus& out, bool normalize) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return status::error("cannot open corpus '" + path + "'");
  std::ostringstream b;
  b << f.rdbuf();
  return word2vec_corpus_from_text(normalize ? word2vec_normalize(b.str()) : b.str(), min_count, out)
      .with_context("corpus '" + path + "'");
}

std::string word2vec_normalize(const std::string& text) {
  auto is_letter = [](uint32_t c) {
    if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
    return c >= 0xC0 && c != 0xD7 && c != 0xF7 && !(c >= 0x2000 && c <= 0x206F);
  };
  std::string out, word;
  out.reserve(text.size());
  bool line_has_word = false;
  auto flush = [&] {
    if (word.empty()) return;
    if (line_has_word) out += ' ';
    out += utf8_lower(word);
    word.clear();
    line_has_word = true;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    bool valid = utf8_next(text, pos, cp);
    if (valid && is_letter(cp)) { utf8_append(word, cp); continue; }
    flush();
    if (cp == '\n') { out += '\n'; line_has_word = false; }
  }
  flush();
  return out;
}

}  // namespace pluma
