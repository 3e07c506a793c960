// char: one token per Unicode code point seen in the corpus. Ids after the specials follow code
// point order, so the same character set always gives the same ids. Lossless for seen characters;
// anything else (and any invalid UTF-8 byte) is <unk>.
#include <algorithm>
#include <array>
#include <unordered_map>
#include <vector>

#include "tokenizer/kinds.h"
#include "tokenizer/utf8.h"

namespace pluma {

namespace {

class char_tokenizer final : public tokenizer {
 public:
  explicit char_tokenizer(std::vector<uint32_t> chars) : chars_(std::move(chars)) {
    ascii_ids_.fill(unk_id);
    for (size_t i = 0; i < chars_.size(); ++i) {
      const int id = static_cast<int>(i) + num_special_ids;
      if (chars_[i] < ascii_ids_.size()) ascii_ids_[chars_[i]] = id;
      else other_ids_[chars_[i]] = id;
    }
  }

  tokenizer_kind kind() const override { return tokenizer_kind::chars; }
  int vocab_size() const override { return static_cast<int>(chars_.size()) + num_special_ids; }

  std::vector<int> encode(std::string_view text) const override {
    std::vector<int> ids;
    ids.reserve(text.size());
    size_t pos = 0;
    uint32_t cp;
    while (pos < text.size()) {
      const bool valid = utf8_next(text, pos, cp);
      ids.push_back(valid ? id_of(cp) : unk_id);
    }
    return ids;
  }

  std::string decode(const std::vector<int>& ids) const override {
    std::string out;
    out.reserve(ids.size());
    for (int id : ids)
      if (id >= num_special_ids && id < vocab_size()) utf8_append(out, chars_[id - num_special_ids]);
    return out;
  }

  std::string id_to_piece(int id) const override {
    if (const char* s = special_piece(id)) return s;
    if (id < num_special_ids || id >= vocab_size()) return special_piece(unk_id);
    std::string s;
    utf8_append(s, chars_[id - num_special_ids]);
    return s;
  }

  int piece_to_id(std::string_view piece) const override {
    if (const int special = special_id_of(piece); special >= 0) return special;
    size_t pos = 0;
    uint32_t cp;
    if (!utf8_next(piece, pos, cp) || pos != piece.size()) return unk_id;
    return id_of(cp);
  }

  std::string serialize() const override {
    byte_writer w;
    w.u32(static_cast<uint32_t>(chars_.size()));
    for (uint32_t c : chars_) w.u32(c);
    return tokenizer_pack(kind(), w.out);
  }

 private:
  int id_of(uint32_t cp) const {
    if (cp < ascii_ids_.size()) return ascii_ids_[cp];
    const auto it = other_ids_.find(cp);
    return it == other_ids_.end() ? unk_id : it->second;
  }

  std::vector<uint32_t> chars_;                  // (V - 4) code points of ids 4.., ascending
  std::array<int, 256> ascii_ids_;               // id of each code point below 256 (unk when unseen)
  std::unordered_map<uint32_t, int> other_ids_;  // id of each code point from 256 up
};

}  // namespace

status char_tokenizer_train(std::string_view text, const tokenizer_train_config& cfg,
                            std::unique_ptr<tokenizer>& out) {
  std::unordered_map<uint32_t, size_t> counts;
  size_t pos = 0;
  uint32_t cp;
  while (pos < text.size()) {
    utf8_next(text, pos, cp);  // text was validated by the caller
    ++counts[cp];
  }
  std::vector<std::pair<uint32_t, size_t>> seen;  // (code point, count) of those meeting min_count
  for (const auto& [c, n] : counts)
    if (n >= static_cast<size_t>(cfg.min_count)) seen.emplace_back(c, n);
  if (seen.empty())
    return status::error("no character occurs at least " + std::to_string(cfg.min_count) +
                         " times: lower the minimum count");
  // A vocabulary cap keeps the most frequent characters (ties: lower code point first).
  const size_t cap = cfg.vocab_size > 0 ? static_cast<size_t>(cfg.vocab_size - num_special_ids) : seen.size();
  if (seen.size() > cap) {
    std::sort(seen.begin(), seen.end(),
              [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    seen.resize(cap);
  }
  std::vector<uint32_t> chars;
  for (const auto& s : seen) chars.push_back(s.first);
  std::sort(chars.begin(), chars.end());
  out = std::make_unique<char_tokenizer>(std::move(chars));
  return status::ok();
}

status char_tokenizer_from_payload(std::string_view payload, std::unique_ptr<tokenizer>& out) {
  byte_reader r{payload};
  uint32_t n = 0;
  if (!r.u32(n) || payload.size() - r.pos != static_cast<size_t>(n) * 4)
    return status::error("the character table has the wrong length");
  std::vector<uint32_t> chars(n);
  for (uint32_t i = 0; i < n; ++i) {
    r.u32(chars[i]);
    const bool scalar = chars[i] <= 0x10FFFF && !(chars[i] >= 0xD800 && chars[i] <= 0xDFFF);
    if (!scalar || (i > 0 && chars[i] <= chars[i - 1]))
      return status::error("the character table is not a sorted list of distinct code points");
  }
  out = std::make_unique<char_tokenizer>(std::move(chars));
  return status::ok();
}

}  // namespace pluma
