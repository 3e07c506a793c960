// vectors: a table of word vectors (one row per word, most frequent first when the source is ordered)
// and its files: word2vec's text format ("count dim" then "word v1 ... vdim" per line), word2vec's
// binary format (the same header, then per word: the word, a space, dim little-endian float32, '\n'),
// and a .pluma checkpoint's token embedding table with its tokenizer's pieces.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/core/status.h"

namespace pluma {

struct word_vectors {
  int dim = 0;
  std::vector<std::string> words;                // (N)
  std::vector<float> data;                       // (N, dim) row-major
  std::unordered_map<std::string, int> index;    // word -> row

  int size() const { return static_cast<int>(words.size()); }
  const float* row(int i) const { return data.data() + static_cast<size_t>(i) * dim; }
  // Row of the word, exactly; -1 when absent.
  int find(std::string_view word) const;
  // Appends a row (dim values); a repeated word keeps its first row in the index.
  void add(const std::string& word, const float* values);
};

enum class vectors_format { text, binary };

status vectors_write(const std::string& path, const word_vectors& v, vectors_format fmt);
// Reads a vectors file (text or binary, told apart by the first row) or a .pluma checkpoint
// (by its extension). Errors name the file, the line and what was wrong.
status vectors_read(const std::string& path, word_vectors& out);
// The parts of vectors_read, for callers that know the kind.
status vectors_read_word2vec(const std::string& path, word_vectors& out);
status vectors_read_checkpoint(const std::string& path, word_vectors& out);

}  // namespace pluma
