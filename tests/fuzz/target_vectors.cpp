// Word vectors (pluma embed): the word2vec text and binary readers, the analogy questions reader, and the
// analogy expression parser, all on the same bytes; vectors that load are queried.
#include <string_view>
#include <vector>

#include "model/embed/evaluate.h"
#include "model/embed/query.h"
#include "model/embed/vectors.h"
#include "tests/fuzz/targets.h"

namespace pluma::fuzz {

int vectors_one(const uint8_t* data, size_t size) {
  const std::string path = scratch_file(data, size);
  word_vectors v;
  if (vectors_read_word2vec(path, v) && v.size() > 0) {
    const unit_vectors u = unit_vectors_make(v);
    (void)nearest_to_vector(u, u.row(0), 3, {0});
  }
  std::vector<analogy_section> questions;
  (void)questions_read(path, questions);
  analogy_terms terms;
  (void)analogy_parse(std::string_view(reinterpret_cast<const char*>(data), size), terms);
  return 0;
}

}  // namespace pluma::fuzz
