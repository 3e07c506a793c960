// BLEU: the 13a tokenizer on hand cases, corpus BLEU on cases computed by hand, file errors, and a
// translation corpus whose score the PyTorch anchor reported.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "generate/bleu.h"

using namespace pluma;
namespace fs = std::filesystem;

namespace {

// A per-process temporary folder, removed when the program ends.
struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("pluma_test_bleu_" + std::to_string(getpid()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { std::error_code ec; fs::remove_all(path, ec); }
};

// A file in the temporary folder, holding exactly `bytes`.
std::string temp_file(const std::string& name, const std::string& bytes) {
  static temp_dir dir;
  fs::path p = dir.path / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

bleu_stats one(const std::string& hyp, const std::string& ref) { return bleu_corpus({hyp}, {ref}); }

// Scores the anchor printed with two decimals: ours must print the same figure.
void check_known_score(const std::string& ref, const std::string& hyp, double expected) {
  INFO("ref " << ref << ", hyp " << hyp);
  REQUIRE_MESSAGE(fs::exists(ref), "missing " << ref);
  REQUIRE_MESSAGE(fs::exists(hyp), "missing " << hyp);
  bleu_stats s;
  status st = bleu_files(ref, hyp, s);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  CHECK(std::fabs(s.score - expected) < 0.005);
}

}  // namespace

TEST_CASE("tokenize_13a splits ASCII punctuation the mteval-v13a way") {
  CHECK(tokenize_13a("Hello, world!") == "Hello , world !");
  // '$' always; '.' and ',' not between digits; the final '.' after a letter
  CHECK(tokenize_13a("It costs $3.50, or 3,000 units.") == "It costs $ 3.50 , or 3,000 units .");
  CHECK(tokenize_13a("1.5.2020") == "1.5.2020");
  CHECK(tokenize_13a("a.b,c") == "a . b , c");
  // a dash only after a digit; apostrophes and in-word dashes stay
  CHECK(tokenize_13a("pages 10-20, a well-known e-mail's") == "pages 10 - 20 , a well-known e-mail's");
  CHECK(tokenize_13a("-5 vs. 5- 5-5") == "-5 vs . 5 - 5 - 5");
  CHECK(tokenize_13a("(x) [y] {z} #1 @2 ~3 a/b") == "( x ) [ y ] { z } # 1 @ 2 ~ 3 a / b");
}

TEST_CASE("tokenize_13a unescapes entities, drops <skipped>, joins '-\\n' and normalizes whitespace") {
  CHECK(tokenize_13a("&quot;Hi&quot; &amp; &lt;b&gt;") == "\" Hi \" & < b >");
  // unescaping runs once, in order: "&amp;quot;" becomes "&quot;" and stays
  CHECK(tokenize_13a("x &amp;quot; y") == "x & quot ; y");
  CHECK(tokenize_13a("<skipped>a b") == "a b");
  CHECK(tokenize_13a("end-\nof line\nnext") == "endof line next");
  // tabs, CR, no-break space (U+00A0) and ideographic space (U+3000) are whitespace
  CHECK(tokenize_13a("  a\t b\xC2\xA0" "c\xE3\x80\x80" "d  \r") == "a b c d");
  // zero-width space (U+200B) is not
  CHECK(tokenize_13a("a\xE2\x80\x8B" "b") == "a\xE2\x80\x8B" "b");
  CHECK(tokenize_13a("") == "");
  CHECK(tokenize_13a(" \t ") == "");
}

TEST_CASE("tokenize_13a leaves non-ASCII letters and punctuation whole") {
  CHECK(tokenize_13a("Straße.") == "Straße .");
  CHECK(tokenize_13a("Ein Mann, der „lacht“.") == "Ein Mann , der „lacht“ .");
}

TEST_CASE("a perfect match scores 100") {
  bleu_stats s = one("the cat sat on the mat", "the cat sat on the mat");
  CHECK(s.score == doctest::Approx(100.0));
  CHECK(s.bp == 1.0);
  CHECK(s.matches == std::array<int64_t, 4>{6, 5, 4, 3});
  CHECK(s.totals == std::array<int64_t, 4>{6, 5, 4, 3});
  CHECK(s.hyp_len == 6);
  CHECK(s.ref_len == 6);
}

TEST_CASE("no matching n-gram at all scores 0") {
  bleu_stats s = one("a b c d", "e f g h");
  CHECK(s.score == 0.0);
  CHECK(s.precisions == std::array<double, 4>{0, 0, 0, 0});
}

TEST_CASE("a corpus without any 4-gram scores 0, even when every token matches") {
  // 3 tokens: totals for n = 4 are 0, so the 4-gram precision stays 0 and log(0) floors the score to 0
  bleu_stats s = one("the cat sat", "the cat sat");
  CHECK(s.totals[3] == 0);
  CHECK(s.score == 0.0);
  CHECK(s.precisions[0] == 100.0);
}

TEST_CASE("no 4-gram match is smoothed ('exp'), not 0") {
  // hyp: the cat sat on a mat; ref: the cat sat in a mat
  // 1-grams 5/6 (all but "on"); 2-grams 3/5 (the cat, cat sat, a mat); 3-grams 1/4 (the cat sat);
  // 4-grams 0/3 -> first zero order: 1/(2*3) = 1/6. BP = 1 (6 = 6).
  // BLEU = 100 * (5/6 * 3/5 * 1/4 * 1/6)^(1/4) = 100 * (1/48)^(1/4) = 37.9918
  bleu_stats s = one("the cat sat on a mat", "the cat sat in a mat");
  CHECK(s.matches == std::array<int64_t, 4>{5, 3, 1, 0});
  CHECK(s.totals == std::array<int64_t, 4>{6, 5, 4, 3});
  CHECK(s.precisions[3] == doctest::Approx(100.0 / 6));
  CHECK(s.score == doctest::Approx(37.99178428));
}

TEST_CASE("a short hypothesis pays the brevity penalty") {
  // hyp: the cat sat on the (5 tokens), ref: the cat sat on the mat (6): every precision is 100%,
  // BP = exp(1 - 6/5) = exp(-0.2) = 0.818731, BLEU = 81.8731, ratio = 5/6
  bleu_stats s = one("the cat sat on the", "the cat sat on the mat");
  CHECK(s.bp == doctest::Approx(std::exp(-0.2)));
  CHECK(s.ratio == doctest::Approx(5.0 / 6.0));
  CHECK(s.score == doctest::Approx(81.87307531));
  // a longer hypothesis is not rewarded: BP stays 1
  CHECK(one("the cat sat on the mat today", "the cat sat on the mat").bp == 1.0);
}

TEST_CASE("n-gram counts are clipped by the reference counts") {
  // hyp: "the" x7, ref: the cat is on the mat ("the" twice)
  // 1-grams: 7 in hyp, clipped to 2 -> 2/7; 2-grams "the the" x6, none in ref -> 0/6 -> 1/(2*6);
  // 3-grams 0/5 -> 1/(4*5); 4-grams 0/4 -> 1/(8*4). BP = 1 (7 > 6).
  // BLEU = 100 * (2/7 * 1/12 * 1/20 * 1/32)^(1/4) = 100 * (1/26880)^(1/4) = 7.80985
  bleu_stats s = one("the the the the the the the", "the cat is on the mat");
  CHECK(s.matches == std::array<int64_t, 4>{2, 0, 0, 0});
  CHECK(s.totals == std::array<int64_t, 4>{7, 6, 5, 4});
  CHECK(s.precisions[0] == doctest::Approx(200.0 / 7));
  CHECK(s.precisions[3] == doctest::Approx(100.0 / 32));
  CHECK(s.score == doctest::Approx(7.80984984));
}

TEST_CASE("counts are summed over the corpus before the precisions are taken") {
  // seg 1: a b c d / a b c d -> 4/4, 3/3, 2/2, 1/1; seg 2: x y / x z -> 1/2, 0/1, -, -
  // corpus: 5/6, 3/4, 2/2, 1/1, lengths 6 = 6: BLEU = 100 * (5/6 * 3/4)^(1/4) = 100 * 0.625^(1/4) = 88.9140
  // (the mean of the sentence scores would be (100 + 0) / 2 = 50)
  bleu_stats s = bleu_corpus({"a b c d", "x y"}, {"a b c d", "x z"});
  CHECK(s.matches == std::array<int64_t, 4>{5, 3, 2, 1});
  CHECK(s.totals == std::array<int64_t, 4>{6, 4, 2, 1});
  CHECK(s.score == doctest::Approx(88.91397050));
}

TEST_CASE("BLEU is case-sensitive and scored on 13a tokens") {
  // The vs the: 1-grams 3/4, 2-grams 2/3, 3-grams 1/2, 4-grams 0/1 -> 1/2: BLEU = 100 * (1/8)^(1/4) = 59.4604
  CHECK(one("The cat sat down", "the cat sat down").score == doctest::Approx(59.46035575));
  // "Hello, world!" tokenizes to the four tokens of the reference
  CHECK(one("Hello, world!", "Hello , world !").score == doctest::Approx(100.0));
}

TEST_CASE("bleu_format prints sacreBLEU's line") {
  bleu_stats s = one("the cat sat on the", "the cat sat on the mat");
  CHECK(bleu_format(s) == "BLEU = 81.87 100.0/100.0/100.0/100.0 (BP = 0.819 ratio = 0.833 hyp_len = 5 ref_len = 6)");
}

TEST_CASE("bleu_files reads lines like sacreBLEU: '\\n' only, a last line without newline, CRLF stripped") {
  std::string ref = temp_file("r.txt", "the cat sat on the mat\r\na b c d\n");
  std::string hyp = temp_file("h.txt", "the cat sat on the mat\na b c d");
  bleu_stats s;
  status st = bleu_files(ref, hyp, s);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  CHECK(s.score == doctest::Approx(100.0));
  CHECK(s.ref_len == 10);
}

TEST_CASE("bleu_files says what is wrong with its input") {
  std::string two = temp_file("two.txt", "a b\nc d\n");
  std::string three = temp_file("three.txt", "a b\nc d\ne f\n");
  bleu_stats s;
  status st = bleu_files(two, three, s);
  CHECK(!st.is_ok());
  CHECK(st.message() == "hypothesis file '" + three + "' has 3 lines but reference file '" + two +
                            "' has 2: they must be parallel, one segment per line");

  st = bleu_files(two, "/nonexistent/hyp.de", s);
  CHECK(st.message() == "cannot open hypothesis file '/nonexistent/hyp.de': check the path");

  std::string empty = temp_file("empty.txt", "");
  st = bleu_files(empty, two, s);
  CHECK(st.message() == "reference file '" + empty + "' is empty: expected one segment per line");

  std::string latin1 = temp_file("latin1.txt", "a b\nStra\xDF" "e\n");
  st = bleu_files(two, latin1, s);
  CHECK(st.message() == "hypothesis file '" + latin1 + "' is not valid UTF-8 (line 2): convert it to UTF-8");
}

TEST_CASE("Multi30k test2016: the anchor's beam-5 and greedy outputs score 34.27 and 32.07") {
  std::string dir = std::string(PLUMA_SOURCE_DIR) + "/tests/fixtures/bleu/";
  check_known_score(dir + "test2016.ref.de", dir + "test2016.beam5.de", 34.27);
  check_known_score(dir + "test2016.ref.de", dir + "test2016.greedy.de", 32.07);
  bleu_stats s;
  REQUIRE(bleu_files(dir + "test2016.ref.de", dir + "test2016.beam5.de", s).is_ok());
  CHECK(bleu_format(s) == "BLEU = 34.27 65.3/41.0/27.9/19.1 (BP = 0.992 ratio = 0.992 hyp_len = 12004 ref_len = 12106)");
}

TEST_CASE("Multi30k val: the anchor's beam-5 and greedy outputs score 34.51 and 32.80 (read from ../shared)") {
  std::string shared = std::string(PLUMA_SOURCE_DIR) + "/../shared/";
  std::string ref = shared + "data/multi30k/val.de";
  std::string res = shared + "anchors/pytorch/results/";
  check_known_score(ref, res + "seq2seq_multi30k.val.beam5.de", 34.51);
  check_known_score(ref, res + "seq2seq_multi30k.val.greedy.de", 32.80);
}
