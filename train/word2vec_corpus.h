// word2vec_corpus: a text corpus for word2vec — words split on whitespace, each line a sentence
// (as gensim's LineSentence; a window never crosses a line), a vocabulary of the words seen at least
// min_count times ordered by count (most frequent first, ties by first appearance), and the corpus
// as vocabulary ids (rarer words dropped), held in memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/core/status.h"

namespace pluma {

struct word2vec_corpus {
  std::vector<std::string> words;     // (V) the vocabulary, most frequent first
  std::vector<int64_t> counts;        // (V)
  std::vector<int32_t> ids;           // the corpus's in-vocabulary words, sentence after sentence
  std::vector<int64_t> sentence_end;  // (S) end offset of each sentence in ids
  int64_t raw_words = 0;              // every word read, rare ones included (what words/s counts)
  int64_t kept_words() const { return static_cast<int64_t>(ids.size()); }
};

// Longer lines are cut into sentences of this many words (gensim's MAX_WORDS_IN_BATCH).
constexpr int word2vec_max_sentence = 10000;

// Builds the corpus from text. Errors: no words at all; no word reaching min_count.
status word2vec_corpus_from_text(const std::string& text, int min_count, word2vec_corpus& out);
// Reads the file (missing, unreadable, empty are errors naming it), optionally normalizes it
// (word2vec_normalize), then word2vec_corpus_from_text.
status word2vec_corpus_read(const std::string& path, int min_count, word2vec_corpus& out, bool normalize = false);

// Lowercases the text and keeps only runs of letters, space-separated, line by line: "¿Rey, dijo?" ->
// "rey dijo". Letters: ASCII letters and code points from U+00C0 up, except ×, ÷ and the general
// punctuation block (U+2000-U+206F: dashes, curly quotes, ellipsis); digits and other symbols split words.
std::string word2vec_normalize(const std::string& text);

}  // namespace pluma
