// bpe / unigram: SentencePiece models trained in-process and carried as their serialized proto.
//
// Configured to be lossless (decode(encode(text)) == text byte for byte):
//  - identity normalization, no removal of extra whitespace, no dummy prefix: text is kept as is,
//    each space becoming the visible "▁" inside pieces;
//  - "\n" is a user-defined piece, so a newline is always its own token and no piece spans one;
//    encode therefore works line by line (the same result as whole-text encoding for bpe, and
//    better conditioned for unigram, whose Viterbi scores would otherwise sum over the whole text);
//  - byte fallback: a character absent from the vocabulary becomes its UTF-8 bytes (<0xNN>),
//    never <unk>;
//  - whitespace-only pieces allowed, so runs of spaces are learned too.
// One known limit: a literal U+2581 "▁" in the text decodes as a space.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/kinds.h"
#include "tokenizer/utf8.h"

namespace pluma {

namespace {

constexpr size_t sp_max_sentence_bytes = 4000;          // SentencePiece skips longer sentences (default 4192)
constexpr size_t sp_max_training_bytes = 8u << 20;      // larger corpora are sampled down to about this
constexpr uint32_t sp_space_symbol = 0x2581;            // "▁", how SentencePiece shows a space

class sp_tokenizer final : public tokenizer {
 public:
  sp_tokenizer(tokenizer_kind kind, std::string model, std::unique_ptr<sentencepiece::SentencePieceProcessor> sp,
               int newline_id)
      : kind_(kind), model_(std::move(model)), sp_(std::move(sp)), newline_id_(newline_id) {}

  tokenizer_kind kind() const override { return kind_; }
  int vocab_size() const override { return sp_->GetPieceSize(); }

  std::vector<int> encode(std::string_view text) const override {
    std::vector<int> ids, line_ids;
    ids.reserve(text.size() / 3);
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) {
        line_ids.clear();
        if (sp_->Encode(text.substr(start, end - start), &line_ids).ok())
          ids.insert(ids.end(), line_ids.begin(), line_ids.end());
        else
          ids.push_back(unk_id);
      }
      if (end == text.size()) break;
      ids.push_back(newline_id_);
      start = end + 1;
    }
    return ids;
  }

  std::string decode(const std::vector<int>& ids) const override {
    std::vector<int> visible;
    visible.reserve(ids.size());
    const int v = vocab_size();
    for (int id : ids)
      if (id >= num_special_ids && id < v) visible.push_back(id);
    std::string out;
    if (!sp_->Decode(visible, &out).ok()) return std::string();
    return out;
  }

  std::string id_to_piece(int id) const override {
    if (id < 0 || id >= vocab_size()) return special_piece(unk_id);
    return sp_->IdToPiece(id);
  }

  int piece_to_id(std::string_view piece) const override { return sp_->PieceToId(piece); }

  std::string serialize() const override { return tokenizer_pack(kind_, model_); }
  const std::string& proto() const { return model_; }

 private:
  tokenizer_kind kind_;
  std::string model_;                                       // the serialized SentencePiece model proto
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  int newline_id_;                                          // id of the user-defined "\n" piece
};

// Feeds the training sentences to the SentencePiece trainer.
class sentence_feed final : public sentencepiece::SentenceIterator {
 public:
  explicit sentence_feed(const std::vector<std::string_view>& sentences) : sentences_(sentences) {
    if (!done()) current_.assign(sentences_[0]);
  }
  bool done() const override { return index_ >= sentences_.size(); }
  void Next() override {
    if (++index_ < sentences_.size()) current_.assign(sentences_[index_]);
  }
  const std::string& value() const override { return current_; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  const std::vector<std::string_view>& sentences_;
  size_t index_ = 0;
  std::string current_;
};

// The training sentences: the corpus's lines (newlines are their own piece, so they need no
// learning), lines over SentencePiece's limit cut at a space or character boundary, and, for
// corpora over sp_max_training_bytes, an evenly spaced subset (deterministic).
std::vector<std::string_view> sp_training_sentences(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    while (line.size() > sp_max_sentence_bytes) {
      size_t cut = line.rfind(' ', sp_max_sentence_bytes);
      if (cut == std::string_view::npos || cut == 0) {
        cut = sp_max_sentence_bytes;
        while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
      }
      lines.push_back(line.substr(0, cut));
      line.remove_prefix(cut);
    }
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  if (text.size() <= sp_max_training_bytes) return lines;
  const double keep = static_cast<double>(sp_max_training_bytes) / static_cast<double>(text.size());
  std::vector<std::string_view> sample;
  double owed = 0;
  for (auto l : lines) {
    owed += keep;
    if (owed >= 1.0) {
      sample.push_back(l);
      owed -= 1.0;
    }
  }
  return sample;
}

size_t distinct_chars(const std::vector<std::string_view>& sentences) {
  std::unordered_set<uint32_t> seen;
  for (auto s : sentences) {
    size_t pos = 0;
    uint32_t cp;
    while (pos < s.size()) {
      utf8_next(s, pos, cp);
      seen.insert(cp == ' ' ? sp_space_symbol : cp);
    }
  }
  return seen.size();
}

// The largest vocabulary in SentencePiece's "Vocabulary size too high ... <= N" message, or 0.
long parse_max_vocab(const std::string& message) {
  const size_t at = message.find("<= ");
  return at == std::string::npos ? 0 : std::strtol(message.c_str() + at + 3, nullptr, 10);
}

status sp_load(tokenizer_kind kind, std::string model, std::unique_ptr<tokenizer>& out) {
  auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto st = sp->LoadFromSerializedProto(model);
  if (!st.ok()) return status::error("the SentencePiece model does not load: " + st.ToString());
  if (sp->GetPieceSize() <= num_special_ids)
    return status::error("the SentencePiece model has only " + std::to_string(sp->GetPieceSize()) + " pieces");
  for (int id = 0; id < num_special_ids; ++id)
    if (sp->IdToPiece(id) != special_piece(id))
      return status::error("the SentencePiece model's id " + std::to_string(id) + " is '" + sp->IdToPiece(id) +
                           "', not " + special_piece(id));
  const int newline_id = sp->PieceToId("\n");
  if (newline_id < num_special_ids)
    return status::error("the SentencePiece model has no newline piece (it was not trained by pluma)");
  out = std::make_unique<sp_tokenizer>(kind, std::move(model), std::move(sp), newline_id);
  return status::ok();
}

}  // namespace

status sp_tokenizer_train(std::string_view text, const tokenizer_train_config& cfg, std::unique_ptr<tokenizer>& out) {
  const char* kind_name = tokenizer_kind_name(cfg.kind);
  const int vocab_size = cfg.vocab_size > 0 ? cfg.vocab_size : 8000;
  const std::vector<std::string_view> sentences = sp_training_sentences(text);
  if (sentences.empty()) return status::error("the corpus has no text besides line breaks");
  const size_t needed = static_cast<size_t>(sp_min_vocab_size - 1) + distinct_chars(sentences);
  if (static_cast<size_t>(vocab_size) < needed)
    return status::error("vocabulary size " + std::to_string(vocab_size) + " is too small for " + kind_name +
                         " on this corpus: it needs at least " + std::to_string(needed) + " (" +
                         std::to_string(num_special_ids) + " special ids, the newline, 256 byte pieces and " +
                         std::to_string(needed - (sp_min_vocab_size - 1)) + " distinct characters)");
  const std::unordered_map<std::string, std::string> options = {
      {"model_type", kind_name},
      {"vocab_size", std::to_string(vocab_size)},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "false"},
      {"split_by_whitespace", "true"},
      {"allow_whitespace_only_pieces", "true"},
      {"byte_fallback", "true"},
      {"character_coverage", "1.0"},
      {"user_defined_symbols", "\n"},
      {"pad_id", "0"}, {"unk_id", "1"}, {"bos_id", "2"}, {"eos_id", "3"},
      {"pad_piece", "<pad>"}, {"unk_piece", "<unk>"}, {"bos_piece", "<sos>"}, {"eos_piece", "<eos>"},
      {"input_sentence_size", "0"},   // we sample large corpora ourselves, deterministically
      {"max_sentence_length", std::to_string(sp_max_sentence_bytes + 96)},
      {"num_threads", "2"},
      {"minloglevel", "3"},           // a library does not print; failures come back as a status
  };
  sentencepiece::SetRandomGeneratorSeed(20240521u);
  sentence_feed feed(sentences);
  std::string model;
  const auto st = sentencepiece::SentencePieceTrainer::Train(options, &feed, &model);
  if (!st.ok()) {
    const std::string msg = st.ToString();
    if (msg.find("Vocabulary size too high") != std::string::npos) {
      const long max_vocab = parse_max_vocab(msg);
      return status::error("vocabulary size " + std::to_string(vocab_size) + " is too large for " + kind_name +
                           " on this corpus" +
                           (max_vocab > 0 ? " (it can give at most " + std::to_string(max_vocab) + " pieces)" : "") +
                           ": lower --vocab-size or add text");
    }
    return status::error(std::string("SentencePiece ") + kind_name + " training failed: " + msg);
  }
  PLUMA_TRY(sp_load(cfg.kind, std::move(model), out).with_context("the trained model"));
  if (out->vocab_size() != vocab_size)
    return status::error(std::string(kind_name) + " training gave " + std::to_string(out->vocab_size()) +
                         " pieces instead of the " + std::to_string(vocab_size) + " asked for");
  return status::ok();
}

status sp_tokenizer_from_payload(tokenizer_kind kind, std::string_view payload, std::unique_ptr<tokenizer>& out) {
  return sp_load(kind, std::string(payload), out);
}

status tokenizer_sentencepiece_proto(const tokenizer& tok, std::string& out) {
  const auto* sp = dynamic_cast<const sp_tokenizer*>(&tok);
  if (!sp)
    return status::error(std::string("a ") + tokenizer_kind_name(tok.kind()) +
                         " tokenizer has no SentencePiece model (only bpe and unigram tokenizers do)");
  out = sp->proto();
  return status::ok();
}

}  // namespace pluma
