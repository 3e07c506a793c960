// word2vec: the corpus and vocabulary, and training on a synthetic corpus with a planted structure
// (words of a group co-occur, never with other groups' words) that both skip-gram and CBOW must learn:
// each word's nearest neighbours are its own group. One thread and a seed: the same vectors again.
#include <doctest/doctest.h>

#include <string>

#include "model/core/rng.h"
#include "model/embed/query.h"
#include "train/word2vec.h"

using namespace pluma;

namespace {

constexpr int groups = 5, group_size = 6;

std::string word_of(int g, int k) { return "g" + std::to_string(g) + "w" + std::to_string(k); }

// Sentences of 8 words, all drawn from one group.
std::string planted_corpus(int sentences, uint64_t seed) {
  rng r(seed);
  std::string text;
  for (int s = 0; s < sentences; s++) {
    int g = static_cast<int>(r.next_u64() % groups);
    for (int i = 0; i < 8; i++) text += word_of(g, static_cast<int>(r.next_u64() % group_size)) + (i < 7 ? " " : "\n");
  }
  return text;
}

// The share of (word, top-k neighbour) pairs in the same group.
double neighbour_purity(const word_vectors& v, int k) {
  unit_vectors u = unit_vectors_make(v);
  int same = 0, all = 0;
  for (int i = 0; i < v.size(); i++) {
    for (const auto& s : nearest_to_vector(u, v.row(i), k, {i})) {
      same += v.words[s.row].substr(0, 2) == v.words[i].substr(0, 2);
      all++;
    }
  }
  return static_cast<double>(same) / all;
}

word2vec_config small_config(word2vec_arch arch) {
  word2vec_config c;
  c.arch = arch;
  c.dim = 16;
  c.window = 3;
  c.negative = 5;
  c.min_count = 1;
  c.sample = 0;
  c.epochs = 5;
  c.threads = 1;
  c.seed = 7;
  return c;
}

}  // namespace

TEST_CASE("the corpus: vocabulary by count, rare words dropped, one sentence per line") {
  word2vec_corpus c;
  REQUIRE(word2vec_corpus_from_text("b a b\n\nc b a\n  d\n", 2, c));
  CHECK(c.words == std::vector<std::string>{"b", "a"});
  CHECK(c.counts == std::vector<int64_t>{3, 2});
  CHECK(c.raw_words == 7);
  CHECK(c.ids == std::vector<int32_t>{0, 1, 0, 0, 1});
  CHECK(c.sentence_end == std::vector<int64_t>{3, 5});   // "d" alone is dropped entirely
  status st = word2vec_corpus_from_text(" \n\t\n", 1, c);
  CHECK_FALSE(st);
  CHECK(st.message().find("no words") != std::string::npos);
  st = word2vec_corpus_from_text("a b c", 2, c);
  CHECK(st.message().find("no word occurs at least 2 times") != std::string::npos);
}

TEST_CASE("normalizing lowercases and keeps runs of letters, line by line") {
  CHECK(word2vec_normalize("¿Rey, dijo?  ¡SANCHO!\n\"Don Quijote\"—señor…\n42 x2y") ==
        "rey dijo sancho\ndon quijote señor\nx y");
  CHECK(word2vec_normalize("ÁRBOL Ñandú") == "árbol ñandú");
  CHECK(word2vec_normalize("...\n") == "\n");
}

TEST_CASE("options are checked") {
  word2vec_config c;
  c.window = 0;
  CHECK(word2vec_config_check(c).message().find("--window") != std::string::npos);
  c = word2vec_config{};
  c.sample = -1;
  CHECK_FALSE(word2vec_config_check(c));
  word2vec_arch a;
  CHECK_FALSE(word2vec_arch_parse("glove", a));
}

TEST_CASE("skip-gram and CBOW learn the planted groups") {
  word2vec_corpus corpus;
  REQUIRE(word2vec_corpus_from_text(planted_corpus(1500, 3), 1, corpus));
  REQUIRE(corpus.words.size() == static_cast<size_t>(groups * group_size));
  for (auto arch : {word2vec_arch::skipgram, word2vec_arch::cbow}) {
    word_vectors v;
    word2vec_progress stats;
    REQUIRE(word2vec_train(corpus, small_config(arch), v, &stats));
    CAPTURE(word2vec_arch_name(arch));
    CHECK(v.size() == groups * group_size);
    CHECK(v.dim == 16);
    CHECK(stats.words_done == corpus.raw_words * 5);
    // the 5 nearest of every word are its 5 group mates
    CHECK(neighbour_purity(v, group_size - 1) == doctest::Approx(1.0));
  }
}

TEST_CASE("an untrained control: random vectors do not show the groups") {
  word2vec_corpus corpus;
  REQUIRE(word2vec_corpus_from_text(planted_corpus(1500, 3), 1, corpus));
  word2vec_config c = small_config(word2vec_arch::skipgram);
  c.alpha = c.min_alpha = 1e-9f;   // no learning
  word_vectors v;
  REQUIRE(word2vec_train(corpus, c, v));
  CHECK(neighbour_purity(v, group_size - 1) < 0.5);
}

TEST_CASE("one thread and a seed give the same vectors; another seed, others; two threads still learn") {
  word2vec_corpus corpus;
  REQUIRE(word2vec_corpus_from_text(planted_corpus(800, 5), 1, corpus));
  word2vec_config c = small_config(word2vec_arch::skipgram);
  c.sample = 1e-2;   // subsampling draws too
  word_vectors a, b, d;
  REQUIRE(word2vec_train(corpus, c, a));
  REQUIRE(word2vec_train(corpus, c, b));
  CHECK(a.data == b.data);
  c.seed = 8;
  REQUIRE(word2vec_train(corpus, c, d));
  CHECK(a.data != d.data);
  c.threads = 2;
  c.epochs = 10;
  word_vectors t2;
  REQUIRE(word2vec_train(corpus, c, t2));
  CHECK(neighbour_purity(t2, group_size - 1) > 0.95);
}
