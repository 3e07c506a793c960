// A token shard: header (magic, version, width, hash, vocabulary, count) and the ids it claims.
#include "data/shard.h"
#include "tests/fuzz/targets.h"

namespace pluma::fuzz {

int shard_one(const uint8_t* data, size_t size) {
  shard s;
  if (!shard::open(scratch_file(data, size), s)) return 0;
  (void)s.expect_tokenizer(0, 100);
  return 0;
}

}  // namespace pluma::fuzz
