// Internal to tokenizer/: the per-kind constructors behind the factory in tokenizer.cpp, and the
// little-endian byte helpers their payloads are written with.
//
// Serialized form (tokenizer::serialize), all integers little-endian:
//   "PLUMATOK"  8 bytes magic
//   u32         format version (tokenizer_format_version)
//   u32         kind: 1 char, 2 word, 3 bpe, 4 unigram
//   u64         payload length n
//   n bytes     payload: char: u32 count, count x u32 code points (ids 4..)
//                        word: u32 count, count x (u32 length, bytes) pieces (ids 4..)
//                        bpe/unigram: the SentencePiece model proto
//   u64         FNV-1a 64 of the payload (detects corruption)
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.h"

namespace pluma {

constexpr uint32_t tokenizer_format_version = 1;

std::string tokenizer_pack(tokenizer_kind kind, std::string_view payload);
uint64_t fnv1a64(std::string_view bytes);

// Appends little-endian integers and length-prefixed strings to a payload.
struct byte_writer {
  std::string out;
  void u32(uint32_t v);
  void u64(uint64_t v);
  void str(std::string_view s);
};

// Reads what byte_writer wrote; every read checks bounds and returns false when the bytes run out.
struct byte_reader {
  std::string_view in;
  size_t pos = 0;
  bool u32(uint32_t& v);
  bool u64(uint64_t& v);
  bool str(std::string& s);
  bool bytes(size_t n, std::string_view& s);
  bool at_end() const { return pos == in.size(); }
};

// text: the whole training corpus (valid UTF-8, non-empty).
status char_tokenizer_train(std::string_view text, const tokenizer_train_config& cfg,
                            std::unique_ptr<tokenizer>& out);
status char_tokenizer_from_payload(std::string_view payload, std::unique_ptr<tokenizer>& out);

status word_tokenizer_train(std::string_view text, const tokenizer_train_config& cfg,
                            std::unique_ptr<tokenizer>& out);
status word_tokenizer_from_payload(std::string_view payload, std::unique_ptr<tokenizer>& out);

// kind: bpe or unigram.
status sp_tokenizer_train(std::string_view text, const tokenizer_train_config& cfg,
                          std::unique_ptr<tokenizer>& out);
status sp_tokenizer_from_payload(tokenizer_kind kind, std::string_view payload,
                                 std::unique_ptr<tokenizer>& out);

// The readable name of a special id (0..3), "<pad>" "<unk>" "<sos>" "<eos>".
const char* special_piece(int id);
// The special id whose piece is `piece`, or -1.
int special_id_of(std::string_view piece);

}  // namespace pluma
