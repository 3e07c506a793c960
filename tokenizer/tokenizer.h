// tokenizer: text <-> token ids. One interface, one .cpp per kind (char, word, sentencepiece),
// and a factory. Special ids are fixed across kinds: <pad>=0 <unk>=1 <sos>=2 <eos>=3.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/core/status.h"

namespace pluma {

// chars: code points (lossless for seen characters). words: words and punctuation, spacing coded
// against a default so decode(encode(x)) == x when no <unk> occurs (word_tokenizer.cpp).
// bpe/unigram: SentencePiece, configured to be lossless byte for byte (sp_tokenizer.cpp).
enum class tokenizer_kind { chars, words, bpe, unigram };

constexpr int pad_id = 0;
constexpr int unk_id = 1;
constexpr int sos_id = 2;
constexpr int eos_id = 3;
constexpr int num_special_ids = 4;

const char* tokenizer_kind_name(tokenizer_kind k);                    // "char", "word", "bpe", "unigram"
status tokenizer_kind_parse(std::string_view name, tokenizer_kind& out);

class tokenizer {
 public:
  virtual ~tokenizer() = default;
  virtual tokenizer_kind kind() const = 0;
  virtual int vocab_size() const = 0;                                 // including the 4 specials
  virtual std::vector<int> encode(std::string_view text) const = 0;   // no <sos>/<eos> added
  virtual std::string decode(const std::vector<int>& ids) const = 0;  // special ids produce no text
  virtual std::string id_to_piece(int id) const = 0;                  // "<unk>", "▁the", "\n", ...
  virtual int piece_to_id(std::string_view piece) const = 0;          // unk_id when absent
  virtual std::string serialize() const = 0;                          // bytes; tokenizer_from_bytes reads them
};

struct tokenizer_train_config {
  tokenizer_kind kind = tokenizer_kind::chars;
  std::vector<std::string> inputs;   // corpus files (UTF-8)
  int vocab_size = 0;                // 0: kind's default (char: all seen; word: 10000; bpe/unigram: 8000)
  int min_count = 1;                 // char/word: minimum count to enter the vocabulary
};

// bpe/unigram carry 4 specials, the newline piece and 256 byte-fallback pieces (so nothing is ever
// <unk>), plus every character of the corpus: a vocabulary below this can never fit.
constexpr int sp_min_vocab_size = num_special_ids + 1 + 256 + 1;

// Checks the options alone (no corpus read): inputs given, vocab size > 4 (and >= sp_min_vocab_size
// for bpe/unigram), min count >= 1. tokenizer_train calls it first; a CLI calls it for usage errors.
status tokenizer_train_config_check(const tokenizer_train_config& cfg);
// Resolves and reads cfg.inputs (corpus_resolve, corpus_read: missing, empty and non-UTF-8 files
// are errors), then trains. vocab_size is a cap for char/word and exact for bpe/unigram (an error
// says so when the corpus cannot give that many pieces).
status tokenizer_train(const tokenizer_train_config& cfg, std::unique_ptr<tokenizer>& out);
// Reads serialize()'s bytes; foreign, truncated or corrupt bytes are errors saying which.
status tokenizer_from_bytes(std::string_view bytes, std::unique_ptr<tokenizer>& out);
status tokenizer_save(const tokenizer& tok, const std::string& path);
status tokenizer_load(const std::string& path, std::unique_ptr<tokenizer>& out);
// bpe/unigram: the SentencePiece model proto inside, which Python's sentencepiece and spm_encode read
// (same ids: pluma's specials are the model's pad/unk/bos/eos). An error for char and word tokenizers.
status tokenizer_sentencepiece_proto(const tokenizer& tok, std::string& out);
// A stable 64-bit hash of serialize(): shards and checkpoints record it to detect mismatches.
uint64_t tokenizer_hash(const tokenizer& tok);

}  // namespace pluma
