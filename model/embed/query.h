// query: cosine-similarity questions on word vectors — the nearest words, and analogies
// ("rey - hombre + mujer") by 3CosAdd or 3CosMul (Levy & Goldberg 2014).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "model/core/status.h"
#include "model/embed/vectors.h"

namespace pluma {

// Unit-length copies of the rows (a zero row stays zero), so a dot product is a cosine.
struct unit_vectors {
  const word_vectors* source = nullptr;
  std::vector<float> data;   // (N, dim)
  const float* row(int i) const { return data.data() + static_cast<size_t>(i) * source->dim; }
};
unit_vectors unit_vectors_make(const word_vectors& v);

// Lowercases ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters; other bytes unchanged.
std::string utf8_lower(std::string_view s);
// The row of `word`: the exact word, else the SentencePiece word-start piece "▁word", else
// (case_fallback) the first row whose lowercase equals either's lowercase; -1 when none.
int vectors_lookup(const word_vectors& v, std::string_view word, bool case_fallback = true);

struct scored_word {
  int row = -1;
  float similarity = 0;
};

// The `top` rows most similar to `query` (any dim values, need not be unit) among the first `limit`
// rows (0: all), excluding the rows in `exclude`; most similar first, ties by row.
std::vector<scored_word> nearest_to_vector(const unit_vectors& u, const float* query, int top,
                                           const std::vector<int>& exclude, int limit = 0);

// An analogy as signed terms: "rey - hombre + mujer" -> positive {rey, mujer}, negative {hombre}.
struct analogy_terms {
  std::vector<std::string> positive, negative;
};
// Terms are separated by + or - (spaces around them optional); the first may be unsigned.
// Errors on an empty expression, two operators or two words in a row, or a trailing operator.
status analogy_parse(std::string_view expr, analogy_terms& out);

enum class analogy_method { add, mul };

// positive/negative: rows. add: cosine with the normalized sum of the unit positives minus the unit
// negatives. mul: prod (1+cos(x,p))/2 / (prod (1+cos(x,n))/2 + 0.001). The term rows are excluded.
std::vector<scored_word> analogy_rows(const unit_vectors& u, const std::vector<int>& positive,
                                      const std::vector<int>& negative, analogy_method method, int top,
                                      int limit = 0);

}  // namespace pluma
