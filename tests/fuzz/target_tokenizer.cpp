// A tokenizer file: the PLUMATOK container, then each kind's payload (the SentencePiece proto inside for
// bpe/unigram). The container's checksum would stop a fuzzer at the door, so half the inputs are payloads:
// the first byte picks the kind and the rest is wrapped in a valid container. A tokenizer that loads is
// used: encode, decode and every piece.
#include <memory>
#include <string_view>

#include "tests/fuzz/targets.h"
#include "tokenizer/kinds.h"
#include "tokenizer/tokenizer.h"

namespace pluma::fuzz {
namespace {

void use(const tokenizer& tok) {
  const std::vector<int> ids = tok.encode("En un lugar de la Mancha,\nde cuyo nombre \xc3\xb1 \xe2\x96\x81 ");
  (void)tok.decode(ids);
  const int n = tok.vocab_size();
  for (int id = -1; id <= n && id < 4096; ++id) (void)tok.piece_to_id(tok.id_to_piece(id));
  (void)tok.serialize();
}

}  // namespace

int tokenizer_one(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<tokenizer> tok;
  if (tokenizer_from_bytes(bytes, tok)) use(*tok);
  if (size == 0) return 0;
  constexpr tokenizer_kind kinds[] = {tokenizer_kind::chars, tokenizer_kind::words, tokenizer_kind::bpe,
                                      tokenizer_kind::unigram};
  const std::string packed = tokenizer_pack(kinds[data[0] % 4], bytes.substr(1));
  if (tokenizer_from_bytes(packed, tok)) use(*tok);
  return 0;
}

}  // namespace pluma::fuzz
