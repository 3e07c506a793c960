// A parallel corpus: the bytes as a TSV file, and split at their first zero byte into a source and a
// target file for the line-aligned reader.
#include <cstring>
#include <vector>

#include "data/parallel.h"
#include "tests/fuzz/targets.h"

namespace pluma::fuzz {

int parallel_one(const uint8_t* data, size_t size) {
  std::vector<sentence_pair> pairs;
  (void)parallel_read_tsv(scratch_file(data, size), pairs);
  const auto* zero = size ? static_cast<const uint8_t*>(std::memchr(data, 0, size)) : nullptr;
  const size_t cut = zero ? static_cast<size_t>(zero - data) : size / 2;
  const size_t rest = zero ? cut + 1 : cut;
  pairs.clear();
  (void)parallel_read_files(scratch_file(data, cut, 1), scratch_file(data + rest, size - rest, 2), pairs);
  return 0;
}

}  // namespace pluma::fuzz
