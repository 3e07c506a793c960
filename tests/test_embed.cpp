// Word vectors: the text and binary formats (round trip, every bad input's message), nearest words and
// analogies on a hand-made table whose answers are known, the analogy expression parser, and the
// analogy test's counts (sections, unknown words, case, restrict-vocab).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "model/embed/evaluate.h"
#include "model/embed/projection.h"
#include "model/embed/query.h"
#include "model/embed/vectors.h"

using namespace pluma;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string temp_path(const std::string& name) {
  return "/tmp/pluma_test_embed_" + std::to_string(getpid()) + "_" + name;
}

std::string write_file(const std::string& name, const std::string& text) {
  std::string p = temp_path(name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

// Royalty along x, gender along y; apple elsewhere. king - man + woman = (1, -1, -0.1): queen.
const char* tiny_text =
    "7 3\n"
    "man 0 1 0.1\n"
    "woman 0 -1 0.1\n"
    "king 1 1 0\n"
    "queen 1 -1 0\n"
    "prince 0.9 0.9 0.1\n"
    "apple 0 0 1\n"
    "King 1 1 0.5\n";

word_vectors tiny() {
  word_vectors v;
  status st = vectors_read(write_file("tiny.txt", tiny_text), v);
  REQUIRE_MESSAGE(st, st.message());
  return v;
}

std::string read_error(const std::string& name, const std::string& text) {
  word_vectors v;
  status st = vectors_read(write_file(name, text), v);
  REQUIRE_FALSE(st);
  return st.message();
}

}  // namespace

TEST_CASE("text vectors read with their words in order") {
  word_vectors v = tiny();
  CHECK(v.size() == 7);
  CHECK(v.dim == 3);
  CHECK(v.words[3] == "queen");
  CHECK(v.row(3)[1] == doctest::Approx(-1.0));
  CHECK(v.find("prince") == 4);
  CHECK(v.find("nobody") == -1);
}

TEST_CASE("text and binary formats round-trip exactly") {
  word_vectors v;
  v.dim = 5;
  const float a[5] = {0.1f, -2.5e-7f, 3.14159265f, 1e10f, -0.0f}, b[5] = {1, 2, 3, 4, 5};
  v.add("año", a);
  v.add("x\xc3\xa9", b);
  for (auto fmt : {vectors_format::text, vectors_format::binary}) {
    std::string p = temp_path(fmt == vectors_format::text ? "rt.txt" : "rt.bin");
    REQUIRE(vectors_write(p, v, fmt));
    word_vectors back;
    status st = vectors_read(p, back);
    REQUIRE_MESSAGE(st, st.message());
    CHECK(back.words == v.words);
    CHECK(back.dim == 5);
    CHECK(back.data == v.data);   // bit for bit: shortest round-trip text, raw binary
  }
}

TEST_CASE("bad vectors files are one-line errors naming what is wrong") {
  CHECK(contains(read_error("h1.txt", "hello world\nx 1 2\n"), "line 1: expected the header 'count dim'"));
  CHECK(contains(read_error("h2.txt", "2\nx 1 2\n"), "line 1"));
  CHECK(contains(read_error("h3.txt", "2 0\n"), "two positive integers"));
  std::string ragged = read_error("ragged.txt", "3 2\na 1 2\nb 1 2 3\nc 1 2\n");
  CHECK(contains(ragged, "line 3: expected 2 values after 'b', got 3"));
  CHECK(contains(read_error("nan.txt", "1 2\na 1 zz\n"), "'zz' is not a number"));
  CHECK(contains(read_error("short.txt", "3 2\na 1 2\nb 1 2\n"), "announces 3 words, the file has 2"));
  CHECK(contains(read_error("long.txt", "1 2\na 1 2\nb 1 2\n"), "more rows than the header's 1 words"));
  CHECK(contains(read_error("empty.txt", ""), "empty"));
  // binary, cut inside the second vector
  std::string bin = "2 2\na ";
  float f[2] = {1.5f, 2.5f};
  bin.append(reinterpret_cast<const char*>(f), 8);
  bin += "\nb ";
  bin.append(reinterpret_cast<const char*>(f), 3);
  CHECK(contains(read_error("cut.bin", bin), "binary row 2 ('b'): the file ends inside its 2 values"));
  word_vectors v;
  CHECK(contains(vectors_read("/nonexistent/v.txt", v).message(), "cannot open"));
  for (const char* m : {"h1.txt", "ragged.txt"}) CHECK(read_error(m, "zz\n").find('\n') == std::string::npos);
}

TEST_CASE("nearest words by cosine, the word itself excluded") {
  word_vectors v = tiny();
  unit_vectors u = unit_vectors_make(v);
  int king = v.find("king");
  auto best = nearest_to_vector(u, v.row(king), 3, {king});
  REQUIRE(best.size() == 3);
  CHECK(v.words[best[0].row] == "prince");
  CHECK(best[0].similarity == doctest::Approx(1.8 / (std::sqrt(2.0) * std::sqrt(1.63))).epsilon(1e-5));
  CHECK(v.words[best[1].row] == "King");
  CHECK(best[0].similarity >= best[1].similarity);
  CHECK(best[1].similarity >= best[2].similarity);
  // limited to the first 4 rows: prince and King are out of reach
  auto lim = nearest_to_vector(u, v.row(king), 3, {king}, 4);
  CHECK(v.words[lim[0].row] == "man");
}

TEST_CASE("lookup is exact first, then case-insensitive on the most frequent form") {
  word_vectors v = tiny();
  CHECK(vectors_lookup(v, "King") == 6);
  CHECK(vectors_lookup(v, "KING") == 2);
  CHECK(vectors_lookup(v, "QUEEN", false) == -1);
  CHECK(utf8_lower("ÁRBOL Ñandú ΑΒΓ Жук") == "árbol ñandú αβγ жук");
  word_vectors sp;
  sp.dim = 1;
  const float one = 1;
  sp.add("\xE2\x96\x81rey", &one);
  sp.add("rey", &one);
  sp.add("\xE2\x96\x81Reina", &one);
  CHECK(vectors_lookup(sp, "rey") == 1);      // the exact piece first
  CHECK(vectors_lookup(sp, "Reina") == 2);    // then the word-start piece
  CHECK(vectors_lookup(sp, "reina") == 2);    // case-insensitively too
  CHECK(vectors_lookup(sp, "reina", false) == -1);
}

TEST_CASE("analogies by 3CosAdd and 3CosMul find queen") {
  word_vectors v = tiny();
  unit_vectors u = unit_vectors_make(v);
  int king = v.find("king"), man = v.find("man"), woman = v.find("woman");
  for (auto method : {analogy_method::add, analogy_method::mul}) {
    auto best = analogy_rows(u, {king, woman}, {man}, method, 3);
    REQUIRE(!best.empty());
    CHECK(v.words[best[0].row] == "queen");
    for (const auto& s : best) CHECK((s.row != king && s.row != man && s.row != woman));
  }
  // 3CosAdd's score is the cosine with the normalized (king - man + woman)
  auto best = analogy_rows(u, {king, woman}, {man}, analogy_method::add, 1);
  const double r2 = std::sqrt(2.0), r101 = std::sqrt(1.01);
  const double qx = 1 / r2, qy = 1 / r2 - 2 / r101;   // unit king - unit man + unit woman (z cancels)
  CHECK(best[0].similarity == doctest::Approx((qx - qy) / r2 / std::sqrt(qx * qx + qy * qy)).epsilon(1e-5));
}

TEST_CASE("analogy expressions parse into signed terms; malformed ones are errors") {
  analogy_terms t;
  REQUIRE(analogy_parse("rey - hombre + mujer", t));
  CHECK(t.positive == std::vector<std::string>{"rey", "mujer"});
  CHECK(t.negative == std::vector<std::string>{"hombre"});
  REQUIRE(analogy_parse("parís-francia +españa", t));   // "parís-francia" is one word ...
  CHECK(t.positive == std::vector<std::string>{"parís-francia", "españa"});
  REQUIRE(analogy_parse("parís -francia +españa", t));           // ... signs before words are fine
  CHECK(t.positive == std::vector<std::string>{"parís", "españa"});
  REQUIRE(analogy_parse("well-known + x", t));
  CHECK(t.positive[0] == "well-known");
  for (const char* bad : {"", "   ", "rey hombre", "rey - - hombre", "rey +", "- rey", "rey + + mujer"}) {
    status st = analogy_parse(bad, t);
    CHECK_MESSAGE(!st, bad);
    CHECK(contains(st.message(), "malformed analogy"));
  }
}

TEST_CASE("the analogy test counts sections, unknown words, case and restrict-vocab") {
  word_vectors v = tiny();
  std::string q = write_file("q.txt",
                             ": royal\n"
                             "man king woman queen\n"
                             "man woman king queen\n"
                             "man king woman apple\n"
                             "man king unicorn queen\n"
                             ": shouting\n"
                             "MAN KING WOMAN QUEEN\n");
  std::vector<analogy_section> qs;
  REQUIRE(questions_read(q, qs));
  REQUIRE(qs.size() == 2);
  CHECK(qs[0].questions.size() == 4);
  analogy_eval_config cfg;
  auto res = analogy_evaluate(v, qs, cfg);
  REQUIRE(res.sections.size() == 2);
  CHECK(res.sections[0].name == "royal");
  CHECK(res.sections[0].asked == 4);
  CHECK(res.sections[0].answered == 3);
  CHECK(res.sections[0].correct == 2);
  CHECK(res.sections[1].correct == 1);
  CHECK(res.total.asked == 5);
  CHECK(res.total.answered == 4);
  CHECK(res.total.correct == 3);
  CHECK(res.total.accuracy() == doctest::Approx(0.75));
  CHECK(res.total.coverage() == doctest::Approx(0.8));
  cfg.case_insensitive = false;
  res = analogy_evaluate(v, qs, cfg);
  CHECK(res.sections[1].answered == 0);
  CHECK(res.total.correct == 2);
  cfg.case_insensitive = true;
  cfg.restrict_vocab = 4;   // man woman king queen: the apple question is no longer answerable
  res = analogy_evaluate(v, qs, cfg);
  CHECK(res.sections[0].answered == 2);
  CHECK(res.sections[0].correct == 2);
}

TEST_CASE("a questions file with a bad line names it") {
  std::vector<analogy_section> qs;
  status st = questions_read(write_file("badq.txt", ": s\na b c d\na b c\n"), qs);
  REQUIRE_FALSE(st);
  CHECK(contains(st.message(), "line 3: expected ': section' or four words"));
  CHECK_FALSE(questions_read(write_file("noq.txt", "\n\n"), qs));
}

TEST_CASE("PCA puts the royalty axis first and the SVG labels every word") {
  word_vectors v;
  v.dim = 3;
  const float rows[4][3] = {{10, 1, 0}, {-10, 1, 0}, {10, -1, 0}, {-10, -1, 0}};
  for (int i = 0; i < 4; i++) v.add("w" + std::to_string(i), rows[i]);
  auto p = pca_2d(v, {0, 1, 2, 3});
  REQUIRE(p.size() == 4);
  CHECK(std::fabs(p[0].x) == doctest::Approx(10));
  CHECK(std::fabs(p[0].y) == doctest::Approx(1));
  CHECK(p[0].x * p[1].x < 0);
  std::string svg = map_svg(p, {"w0", "w1", "a<b", "w3"}, {{0, 1}}, "t");
  CHECK(contains(svg, "<svg"));
  CHECK(contains(svg, ">a&lt;b</text>"));
  CHECK(contains(svg, "marker-end"));
}
