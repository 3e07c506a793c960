// word2vec: skip-gram and CBOW with negative sampling (Mikolov et al. 2013), trained Hogwild across
// threads with the HogBatch scheme (Ji et al. 2016): the negatives drawn for a window are shared by
// all its context words, so a window is three small matrix products instead of one dot product and
// one update per word pair. Subsampling of frequent words, a randomly shrunk window and a learning
// rate falling linearly to min_alpha, as word2vec.c and gensim. Deterministic with one thread.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "model/core/status.h"
#include "model/embed/vectors.h"
#include "train/word2vec_corpus.h"

namespace pluma {

enum class word2vec_arch { skipgram, cbow };
const char* word2vec_arch_name(word2vec_arch a);                    // "skipgram", "cbow"
status word2vec_arch_parse(const std::string& name, word2vec_arch& out);

struct word2vec_config {
  word2vec_arch arch = word2vec_arch::skipgram;
  int dim = 100;             // vector width
  int window = 5;            // max words each side; each centre draws a window in [1, window]
  int negative = 5;          // negative samples per window (HogBatch: shared by its context words)
  int min_count = 5;         // rarer words are dropped (applied by the corpus)
  double sample = 1e-3;      // subsampling threshold for frequent words (0: off)
  int epochs = 5;
  float alpha = 0.025f;      // learning rate at the start, falling linearly to min_alpha
  float min_alpha = 0.0001f;
  int threads = 1;
  uint64_t seed = 1;
};

// The options alone: positive sizes, sample >= 0, 0 < min_alpha <= alpha, 1..1024 threads.
status word2vec_config_check(const word2vec_config& cfg);

struct word2vec_progress {
  int64_t words_done = 0;    // raw corpus words processed, over all epochs
  int64_t words_total = 0;   // raw_words * epochs
  double seconds = 0;        // since training started
  double words_per_s = 0;
  double eta_s = 0;
  float alpha = 0;
};
// Called from the training threads' first thread about twice a second (and once at the end).
using word2vec_progress_fn = std::function<void(const word2vec_progress&)>;

// Trains on the corpus; `out` gets the vocabulary (in the corpus's order) and the input vectors.
// `stats` (optional) gets the final progress.
status word2vec_train(const word2vec_corpus& corpus, const word2vec_config& cfg, word_vectors& out,
                      word2vec_progress* stats = nullptr, const word2vec_progress_fn& progress = nullptr);

}  // namespace pluma
