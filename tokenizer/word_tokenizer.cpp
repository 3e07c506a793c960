// word: words and punctuation marks as tokens, with the spacing between them coded so that
// decode(encode(text)) == text whenever no <unk> occurs.
//
// The text is cut into words (runs of letters, digits and other symbols; an apostrophe between
// two such characters stays inside: "don't", "o'er"), single punctuation marks, and whitespace
// runs. Between two visible tokens a and b the decoder puts a default gap: nothing when a opens
// ("(", "¿", "«", "—") or joins ("-", "/", "'") or when b closes (",", ".", "?", "»") or joins,
// else one space. The encoder writes the real gap as a token only when it differs from that
// default: a whitespace run ("\n", "\n\n", "  ", or " " where the default is nothing), or the
// empty <glue> token where the default is a space. So "¿qué?" is three tokens and
// "First Citizen:\nBefore" five, with no spacing tokens but the newline.
// Special ids (including <unk>) decode to nothing, and the default gap then spans them.
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "tokenizer/utf8_check.h"
#include "tokenizer/kinds.h"
#include "tokenizer/utf8.h"

namespace pluma {

namespace {

constexpr std::string_view glue_piece = "<glue>";   // id_to_piece of the empty gap

enum class piece_class { word, closing, opening, joining, other_punct, gap };

bool is_space(uint32_t cp) { return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f'; }

// The class of one code point: punctuation subclasses, else word.
piece_class char_class(uint32_t cp) {
  switch (cp) {
    case ',': case '.': case ';': case ':': case '!': case '?': case ')': case ']': case '}': case '%':
    case 0x00BB /* » */: case 0x201D /* ” */: case 0x2019 /* ’ */: case 0x2026 /* … */:
      return piece_class::closing;
    case '(': case '[': case '{': case 0x00BF /* ¿ */: case 0x00A1 /* ¡ */: case 0x00AB /* « */:
    case 0x201C /* “ */: case 0x201E /* „ */: case 0x2018 /* ‘ */: case 0x2014 /* — */:
      return piece_class::opening;
    case '-': case '/': case '\'':
      return piece_class::joining;
    default:
      break;
  }
  const bool ascii_punct = (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) ||
                           (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E);
  const bool latin1_punct = (cp >= 0xA2 && cp <= 0xA9) || cp == 0xAC || cp == 0xAE || cp == 0xAF ||
                            cp == 0xB0 || cp == 0xB1 || cp == 0xB4 || cp == 0xB6 || cp == 0xB7 ||
                            cp == 0xB8 || cp == 0xD7 || cp == 0xF7;
  const bool general_punct = (cp >= 0x2010 && cp <= 0x205E) || (cp >= 0x3000 && cp <= 0x303F);
  return ascii_punct || latin1_punct || general_punct ? piece_class::other_punct : piece_class::word;
}

bool is_word_char(uint32_t cp) { return !is_space(cp) && char_class(cp) == piece_class::word; }

// The class of a whole token, as both the encoder and the decoder see it.
piece_class piece_class_of(std::string_view piece) {
  if (piece.empty()) return piece_class::gap;
  size_t pos = 0;
  uint32_t cp;
  utf8_next(piece, pos, cp);
  if (is_space(cp)) return piece_class::gap;
  return pos == piece.size() ? char_class(cp) : piece_class::word;
}

std::string_view default_gap(piece_class a, piece_class b) {
  const bool tight = a == piece_class::opening || a == piece_class::joining || b == piece_class::closing ||
                     b == piece_class::joining;
  return tight ? "" : " ";
}

// Calls emit(piece) for each token of `text` in order: visible tokens and the gap tokens that
// differ from the default (an empty piece is <glue>). Invalid UTF-8 bytes become one-byte words.
template <typename Emit>
void word_split(std::string_view text, Emit&& emit) {
  std::string_view gap;
  bool have_gap = false, have_prev = false;
  piece_class prev = piece_class::word;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    uint32_t cp;
    utf8_next(text, pos, cp);
    if (is_space(cp)) {
      size_t end = pos;
      while (end < text.size() && is_space(static_cast<unsigned char>(text[end]))) ++end;
      pos = end;
      gap = text.substr(start, end - start);
      have_gap = true;
      continue;
    }
    if (is_word_char(cp)) {
      // Extend the word; an apostrophe continues it only between two word characters.
      const auto peek = [&](size_t at, uint32_t& c) {
        utf8_next(text, at, c);
        return at;   // the position after the code point
      };
      while (pos < text.size()) {
        uint32_t c, c2;
        const size_t next = peek(pos, c);
        if (is_word_char(c)) {
          pos = next;
        } else if ((c == '\'' || c == 0x2019) && next < text.size() && is_word_char((peek(next, c2), c2))) {
          pos = peek(next, c2);
        } else {
          break;
        }
      }
    }
    const std::string_view piece = text.substr(start, pos - start);
    const piece_class cls = piece_class_of(piece);
    const std::string_view actual = have_gap ? gap : std::string_view();
    if (have_prev ? actual != default_gap(prev, cls) : have_gap) emit(actual);
    emit(piece);
    prev = cls;
    have_prev = true;
    have_gap = false;
  }
  if (have_gap) emit(gap);
}

struct string_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

class word_tokenizer final : public tokenizer {
 public:
  explicit word_tokenizer(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
    for (size_t i = 0; i < pieces_.size(); ++i) {
      ids_.emplace(pieces_[i], static_cast<int>(i) + num_special_ids);
      classes_.push_back(piece_class_of(pieces_[i]));
    }
  }

  tokenizer_kind kind() const override { return tokenizer_kind::words; }
  int vocab_size() const override { return static_cast<int>(pieces_.size()) + num_special_ids; }

  std::vector<int> encode(std::string_view text) const override {
    std::vector<int> ids;
    word_split(text, [&](std::string_view piece) { ids.push_back(id_of(piece)); });
    return ids;
  }

  std::string decode(const std::vector<int>& ids) const override {
    std::string out;
    bool have_prev = false, gap_since = false;
    piece_class prev = piece_class::word;
    for (int id : ids) {
      if (id < num_special_ids || id >= vocab_size()) continue;
      const std::string& piece = pieces_[id - num_special_ids];
      const piece_class cls = classes_[id - num_special_ids];
      if (cls == piece_class::gap) {
        out += piece;
        gap_since = true;
        continue;
      }
      if (have_prev && !gap_since) out += default_gap(prev, cls);
      out += piece;
      prev = cls;
      have_prev = true;
      gap_since = false;
    }
    return out;
  }

  std::string id_to_piece(int id) const override {
    if (const char* s = special_piece(id)) return s;
    if (id < num_special_ids || id >= vocab_size()) return special_piece(unk_id);
    const std::string& piece = pieces_[id - num_special_ids];
    return piece.empty() ? std::string(glue_piece) : piece;
  }

  int piece_to_id(std::string_view piece) const override {
    if (const int special = special_id_of(piece); special >= 0) return special;
    return id_of(piece == glue_piece ? std::string_view() : piece);
  }

  std::string serialize() const override {
    byte_writer w;
    w.u32(static_cast<uint32_t>(pieces_.size()));
    for (const auto& p : pieces_) w.str(p);
    return tokenizer_pack(kind(), w.out);
  }

 private:
  int id_of(std::string_view piece) const {
    const auto it = ids_.find(piece);
    return it == ids_.end() ? unk_id : it->second;
  }

  std::vector<std::string> pieces_;                                          // (V - 4) pieces of ids 4..; "" is <glue>
  std::vector<piece_class> classes_;                                         // (V - 4) class of each piece
  std::unordered_map<std::string, int, string_hash, std::equal_to<>> ids_;  // piece -> id
};

}  // namespace

status word_tokenizer_train(std::string_view text, const tokenizer_train_config& cfg,
                            std::unique_ptr<tokenizer>& out) {
  std::unordered_map<std::string, size_t, string_hash, std::equal_to<>> counts;
  word_split(text, [&](std::string_view piece) {
    const auto it = counts.find(piece);
    if (it == counts.end()) counts.emplace(std::string(piece), 1);
    else ++it->second;
  });
  std::vector<std::pair<std::string, size_t>> kept;  // (piece, count) meeting min_count
  for (auto& [piece, n] : counts)
    if (n >= static_cast<size_t>(cfg.min_count)) kept.emplace_back(piece, n);
  if (kept.empty())
    return status::error("no word occurs at least " + std::to_string(cfg.min_count) + " times: lower the minimum count");
  // Most frequent first; ties in byte order, so the same corpus always gives the same ids.
  std::sort(kept.begin(), kept.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  const size_t cap = static_cast<size_t>((cfg.vocab_size > 0 ? cfg.vocab_size : 10000) - num_special_ids);
  if (kept.size() > cap) kept.resize(cap);
  std::vector<std::string> pieces;
  for (auto& k : kept) pieces.push_back(std::move(k.first));
  out = std::make_unique<word_tokenizer>(std::move(pieces));
  return status::ok();
}

status word_tokenizer_from_payload(std::string_view payload, std::unique_ptr<tokenizer>& out) {
  byte_reader r{payload};
  uint32_t n = 0;
  if (!r.u32(n) || n > payload.size()) return status::error("the word table has the wrong length");
  std::vector<std::string> pieces(n);
  for (auto& p : pieces) {
    if (!r.str(p)) return status::error("the word table is truncated");
    if (utf8_first_invalid_offset(p) != std::string_view::npos) return status::error("a word in the table is not UTF-8");
  }
  if (!r.at_end()) return status::error("unexpected bytes after the word table");
  out = std::make_unique<word_tokenizer>(std::move(pieces));
  return status::ok();
}

}  // namespace pluma
