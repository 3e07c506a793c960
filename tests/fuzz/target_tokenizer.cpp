// A tokenizer file: the PLUMATOK container, then each kind's payload (the SentencePiece proto inside for
// bpe/unigram). A tokenizer that loads is used: encode, decode and every piece.
#include <memory>
#include <string_view>

#include "tests/fuzz/targets.h"
#include "tokenizer/tokenizer.h"

namespace pluma::fuzz {

int tokenizer_one(const uint8_t* data, size_t size) {
  std::unique_ptr<tokenizer> tok;
  if (!tokenizer_from_bytes(std::string_view(reinterpret_cast<const char*>(data), size), tok)) return 0;
  const std::vector<int> ids = tok->encode("En un lugar de la Mancha,\nde cuyo nombre \xc3\xb1 \xe2\x96\x81 ");
  (void)tok->decode(ids);
  const int n = tok->vocab_size();
  for (int id = -1; id <= n && id < 4096; ++id) (void)tok->piece_to_id(tok->id_to_piece(id));
  (void)tok->serialize();
  return 0;
}

}  // namespace pluma::fuzz
