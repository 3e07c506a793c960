// Tokenizers: lossless round trips on the real corpora, vocabulary sizes, the UTF-8 awareness of
// char, word spacing, specials, the serialized form (round trip, hash, corruption), corpus names
// and every bad input's message.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tokenizer/corpus_path.h"
#include "tokenizer/kinds.h"
#include "tokenizer/tokenizer.h"

using namespace pluma;
namespace fs = std::filesystem;

namespace {

const std::string data_dir = PLUMA_SOURCE_DIR "/../shared/data";

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f, "missing test data " << path);
  std::ostringstream b;
  b << f.rdbuf();
  return b.str();
}

// A scratch folder removed when the program ends.
struct scratch_dir {
  fs::path path = fs::temp_directory_path() / ("pluma_test_tokenizer_" + std::to_string(::getpid()));
  scratch_dir() { fs::create_directories(path); }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

scratch_dir& scratch() {
  static scratch_dir d;
  return d;
}

std::string write_file(const std::string& name, const std::string& bytes) {
  const fs::path p = scratch().path / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

// The first `bytes` of a corpus, cut after a line break (so still valid UTF-8), as a file.
std::string prefix_file(const std::string& corpus, size_t bytes) {
  const std::string text = read_file(data_dir + "/" + corpus);
  size_t cut = text.find('\n', std::min(bytes, text.size()));
  cut = cut == std::string::npos ? text.size() : cut + 1;
  std::string name = corpus + "." + std::to_string(bytes) + ".txt";
  for (char& c : name) c = c == '/' ? '_' : c;
  return write_file(name, text.substr(0, cut));
}

std::unique_ptr<tokenizer> train(tokenizer_kind kind, const std::vector<std::string>& inputs, int vocab_size = 0,
                                 int min_count = 1) {
  tokenizer_train_config cfg;
  cfg.kind = kind;
  cfg.inputs = inputs;
  cfg.vocab_size = vocab_size;
  cfg.min_count = min_count;
  std::unique_ptr<tokenizer> tok;
  const status st = tokenizer_train(cfg, tok);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  return tok;
}

status train_error(tokenizer_kind kind, const std::vector<std::string>& inputs, int vocab_size = 0,
                   int min_count = 1) {
  tokenizer_train_config cfg{kind, inputs, vocab_size, min_count};
  std::unique_ptr<tokenizer> tok;
  return tokenizer_train(cfg, tok);
}

// SentencePiece models trained once per (kind, corpus) on a 300 KB prefix, vocab 1000.
tokenizer& sp_model(tokenizer_kind kind, const std::string& corpus) {
  static std::map<std::pair<tokenizer_kind, std::string>, std::unique_ptr<tokenizer>> cache;
  auto& slot = cache[{kind, corpus}];
  if (!slot) slot = train(kind, {prefix_file(corpus, 300000)}, 1000);
  return *slot;
}

const char* const corpora[] = {"tinyshakespeare.txt", "quijote.txt", "multi30k/train.de"};

// Text that trips tokenizers that fold whitespace: leading spaces, tabs, runs of spaces, blank
// lines, a carriage return, no final newline.
const std::string layout_text = "  Leading spaces,\tTabs\t\tand   runs  of spaces.\n\n\n   Indented:\r\n\tend";

void check_lossless(const tokenizer& tok, const std::string& text, const std::string& what) {
  const std::vector<int> ids = tok.encode(text);
  const std::string back = tok.decode(ids);
  if (back != text) {
    size_t at = 0;
    while (at < back.size() && at < text.size() && back[at] == text[at]) ++at;
    FAIL_CHECK(std::string(tokenizer_kind_name(tok.kind())) << " is not lossless on " << what << ": first difference at byte "
                                               << at << " of " << text.size());
  }
}

int count_id(const std::vector<int>& ids, int id) { return static_cast<int>(std::count(ids.begin(), ids.end(), id)); }

}  // namespace

// ---------------------------------------------------------------- char

TEST_CASE("char: one token per code point, ids in code point order, unseen -> <unk>") {
  auto tok = train(tokenizer_kind::chars, {write_file("spanish_german.txt", "¿qué? ñandú Straße\n")});
  // 4 specials + distinct code points of "¿qué? ñandú Straße\n": ¿ q u é ? space ñ a n d ú S t r ß e \n = 17
  CHECK(tok->vocab_size() == 4 + 17);
  for (const std::string w : {"¿qué?", "ñandú", "Straße"}) {
    const auto ids = tok->encode(w);
    CHECK(ids.size() == (w == "Straße" ? 6u : 5u));
    CHECK(count_id(ids, unk_id) == 0);
    CHECK(tok->decode(ids) == w);
  }
  CHECK(tok->id_to_piece(tok->encode("ß")[0]) == "ß");
  CHECK(tok->id_to_piece(4) == "\n");   // the lowest code point first
  CHECK(tok->id_to_piece(tok->vocab_size() - 1) == "ú");
  const auto ids = tok->encode("qxé");
  REQUIRE(ids.size() == 3);
  CHECK(ids[1] == unk_id);
  CHECK(tok->decode(ids) == "qé");
  CHECK(tok->encode("q\xff")[1] == unk_id);   // an invalid byte is <unk>, not a crash
}

TEST_CASE("char: tinyshakespeare has 65 characters; lossless on all three corpora") {
  auto tiny = train(tokenizer_kind::chars, {data_dir + "/tinyshakespeare.txt"});
  CHECK(tiny->vocab_size() == 65 + 4);
  CHECK(tiny->piece_to_id("a") > tiny->piece_to_id("A"));
  for (const char* c : corpora) {
    const std::string text = read_file(data_dir + "/" + c);
    auto tok = std::string(c) == "tinyshakespeare.txt" ? std::move(tiny) : train(tokenizer_kind::chars, {data_dir + "/" + c});
    const auto ids = tok->encode(text);
    CHECK(count_id(ids, unk_id) == 0);
    check_lossless(*tok, text, c);
  }
}

TEST_CASE("char: a vocabulary cap keeps the most frequent characters") {
  auto tok = train(tokenizer_kind::chars, {write_file("freq.txt", "aaaabbbcc d")}, 4 + 2);
  CHECK(tok->vocab_size() == 6);
  CHECK(tok->decode(tok->encode("abcd")) == "ab");
}

// ---------------------------------------------------------------- word

TEST_CASE("word: words and punctuation with default spacing, lossless without <unk>") {
  auto tok = train(tokenizer_kind::words, {write_file("words.txt", "¿qué? First Citizen:\nBefore we proceed, don't.\n  we,proceed  ,don't\n\n")});
  const auto q = tok->encode("¿qué?");
  CHECK(q.size() == 3);
  CHECK(tok->id_to_piece(q[1]) == "qué");
  const auto fc = tok->encode("First Citizen:\nBefore");
  CHECK(fc.size() == 5);   // First Citizen : \n Before — the default gaps need no tokens
  CHECK(tok->id_to_piece(fc[3]) == "\n");
  const auto d = tok->encode("don't.");
  CHECK(d.size() == 2);    // the apostrophe stays inside the word
  CHECK(tok->id_to_piece(d[0]) == "don't");
  for (const std::string s : {"First Citizen:\nBefore we proceed, don't.\n", "  we,proceed  ,don't\n\n", "First"})
    CHECK(tok->decode(tok->encode(s)) == s);
}

TEST_CASE("word: lossless on all three corpora when the vocabulary holds every token") {
  for (const char* c : corpora) {
    const std::string text = read_file(data_dir + "/" + c);
    auto tok = train(tokenizer_kind::words, {data_dir + "/" + c}, 1000000);
    const auto ids = tok->encode(text);
    CHECK(count_id(ids, unk_id) == 0);
    CHECK(ids.size() < text.size() / 3);   // words, not characters
    check_lossless(*tok, text, c);
  }
}

TEST_CASE("word: vocabulary capped by size or minimum count; <unk> decodes to nothing with sensible spacing") {
  const std::string path = write_file("cap.txt", "the cat sat. the dog sat. the cat ran.\n");
  // tokens: the x3, cat x2, sat x2, . x3, dog, ran, "\n" -> 7 distinct
  CHECK(train(tokenizer_kind::words, {path})->vocab_size() == 4 + 7);
  CHECK(train(tokenizer_kind::words, {path}, 4 + 3)->vocab_size() == 4 + 3);
  auto tok = train(tokenizer_kind::words, {path}, 0, 2);   // the, cat, sat, .
  CHECK(tok->vocab_size() == 4 + 4);
  const auto ids = tok->encode("the dog sat.");
  CHECK(ids.size() == 4);
  CHECK(ids[1] == unk_id);
  CHECK(tok->decode(ids) == "the sat.");
}

// ---------------------------------------------------------------- bpe / unigram

TEST_CASE("bpe/unigram: vocabulary size honoured, lossless on the full corpora, never <unk>") {
  for (tokenizer_kind kind : {tokenizer_kind::bpe, tokenizer_kind::unigram}) {
    for (const char* c : corpora) {
      CAPTURE(tokenizer_kind_name(kind));
      CAPTURE(c);
      tokenizer& tok = sp_model(kind, c);
      CHECK(tok.kind() == kind);
      CHECK(tok.vocab_size() == 1000);
      const std::string text = read_file(data_dir + "/" + c);
      const auto ids = tok.encode(text);
      CHECK(count_id(ids, unk_id) == 0);
      CHECK(ids.size() < text.size() / 2);
      check_lossless(tok, text, c);
      check_lossless(tok, layout_text, "spacing and layout");
      check_lossless(tok, "¿qué? ñandú Straße 😀 \xe2\x80\x94", "characters outside the vocabulary");
      // A newline is always its own piece.
      const int nl = tok.piece_to_id("\n");
      CHECK(nl >= num_special_ids);
      CHECK(count_id(ids, nl) == static_cast<int>(std::count(text.begin(), text.end(), '\n')));
      int pieces_with_newline = 0;
      for (int id = 0; id < tok.vocab_size(); ++id) pieces_with_newline += id != nl && contains(tok.id_to_piece(id), "\n");
      CHECK(pieces_with_newline == 0);
    }
  }
}

TEST_CASE("bpe/unigram: other vocabulary sizes honoured exactly, and the smallest possible one") {
  const std::string small = prefix_file("tinyshakespeare.txt", 50000);
  CHECK(train(tokenizer_kind::bpe, {small}, 1234)->vocab_size() == 1234);
  CHECK(train(tokenizer_kind::unigram, {small}, 777)->vocab_size() == 777);
  const status st = train_error(tokenizer_kind::bpe, {small}, 300);
  CHECK(contains(st.message(), "vocabulary size 300 is too small for bpe on this corpus: it needs at least "));
  const size_t at = st.message().find("at least ");
  REQUIRE(at != std::string::npos);
  const int needed = std::atoi(st.message().c_str() + at + 9);
  CHECK(needed > 300);
  auto tok = train(tokenizer_kind::bpe, {small}, needed);
  CHECK(tok->vocab_size() == needed);
  check_lossless(*tok, read_file(small), "the training text at the smallest vocabulary");
  const status big = train_error(tokenizer_kind::unigram, {small}, 30000);
  CHECK(contains(big.message(), "vocabulary size 30000 is too large for unigram on this corpus (it can give at most "));
}

// ---------------------------------------------------------------- all kinds

TEST_CASE("specials are fixed across kinds and decode to nothing") {
  const std::string path = prefix_file("tinyshakespeare.txt", 50000);
  for (tokenizer_kind kind : {tokenizer_kind::chars, tokenizer_kind::words, tokenizer_kind::bpe, tokenizer_kind::unigram}) {
    CAPTURE(tokenizer_kind_name(kind));
    auto tok = kind == tokenizer_kind::bpe || kind == tokenizer_kind::unigram ? train(kind, {path}, 500) : train(kind, {path});
    const char* names[] = {"<pad>", "<unk>", "<sos>", "<eos>"};
    for (int id = 0; id < num_special_ids; ++id) {
      CHECK(tok->id_to_piece(id) == names[id]);
      CHECK(tok->piece_to_id(names[id]) == id);
    }
    CHECK(tok->piece_to_id("no such piece at all") == unk_id);
    const std::string text = "First Citizen:\nYou are all resolved.\n";
    std::vector<int> ids = tok->encode(text);
    CHECK(count_id(ids, unk_id) == 0);
    ids.insert(ids.begin(), sos_id);
    ids.insert(ids.begin() + 3, unk_id);
    ids.push_back(eos_id);
    ids.push_back(pad_id);
    ids.push_back(pad_id);
    CHECK(tok->decode(ids) == text);
  }
}

TEST_CASE("serialize / from_bytes / save / load round trip; hash stable and vocabulary-dependent") {
  const std::string path = prefix_file("tinyshakespeare.txt", 50000);
  const std::string sample = "ROMEO:\nBut, soft! what light through yonder window breaks?\n  \tIt is the east.\n";
  for (tokenizer_kind kind : {tokenizer_kind::chars, tokenizer_kind::words, tokenizer_kind::bpe, tokenizer_kind::unigram}) {
    CAPTURE(tokenizer_kind_name(kind));
    const bool sp = kind == tokenizer_kind::bpe || kind == tokenizer_kind::unigram;
    auto a = train(kind, {path}, sp ? 500 : 0);
    auto again = train(kind, {path}, sp ? 500 : 0);
    CHECK(tokenizer_hash(*a) == tokenizer_hash(*again));   // training is deterministic
    auto other = train(kind, {path}, sp ? 600 : 40);
    CHECK(tokenizer_hash(*a) != tokenizer_hash(*other));

    const std::string bytes = a->serialize();
    CHECK(bytes.substr(0, 8) == "PLUMATOK");
    std::unique_ptr<tokenizer> b;
    REQUIRE(tokenizer_from_bytes(bytes, b));
    CHECK(b->kind() == kind);
    CHECK(b->vocab_size() == a->vocab_size());
    CHECK(b->encode(sample) == a->encode(sample));
    CHECK(b->decode(b->encode(sample)) == a->decode(a->encode(sample)));
    CHECK(tokenizer_hash(*b) == tokenizer_hash(*a));

    const std::string file = (scratch().path / (std::string(tokenizer_kind_name(kind)) + ".model")).string();
    REQUIRE(tokenizer_save(*a, file));
    CHECK(!fs::exists(file + ".tmp"));
    std::unique_ptr<tokenizer> c;
    REQUIRE(tokenizer_load(file, c));
    CHECK(tokenizer_hash(*c) == tokenizer_hash(*a));
    CHECK(c->encode(sample) == a->encode(sample));
  }
  // A known value, so the hash cannot drift silently: FNV-1a 64 of "a".
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
}

TEST_CASE("from_bytes and load refuse foreign, truncated and corrupt bytes, saying which") {
  auto tok = train(tokenizer_kind::chars, {write_file("abc.txt", "abc\n")});
  const std::string good = tok->serialize();
  std::unique_ptr<tokenizer> out;
  auto message = [&](const std::string& bytes) {
    const status st = tokenizer_from_bytes(bytes, out);
    CHECK(!st);
    return st.message();
  };
  CHECK(contains(message("hello world, not a tokenizer"), "not a pluma tokenizer"));
  CHECK(contains(message(""), "not a pluma tokenizer"));
  CHECK(contains(message(good.substr(0, 14)), "truncated tokenizer: the header is incomplete"));
  CHECK(contains(message(good.substr(0, good.size() - 3)), "truncated tokenizer"));
  CHECK(contains(message(good + "x"), "unexpected bytes after the checksum"));
  std::string flipped = good;
  flipped[24 + 5] ^= 0x01;   // inside the payload
  CHECK(contains(message(flipped), "checksum does not match"));
  std::string version = good;
  version[8] = 99;
  CHECK(contains(message(version), "tokenizer format version 99 is not supported"));
  std::string kind = good;
  kind[12] = 9;
  CHECK(contains(message(kind), "unknown kind code 9"));
  CHECK(contains(message(tokenizer_pack(tokenizer_kind::chars, std::string("\x02\x00\x00\x00" "zzzzaaaa", 12))),
                 "corrupt char tokenizer: the character table is not a sorted list"));
  CHECK(contains(message(tokenizer_pack(tokenizer_kind::bpe, "not a model proto")),
                 "corrupt bpe tokenizer: the SentencePiece model does not load"));
  CHECK(contains(message(tokenizer_pack(tokenizer_kind::words, std::string("\x05\x00\x00\x00", 4))),
                 "corrupt word tokenizer: the word table"));
  const status missing = tokenizer_load((scratch().path / "nope.model").string(), out);
  CHECK(contains(missing.message(), "cannot open tokenizer '"));
  CHECK(contains(missing.message(), "nope.model': No such file or directory"));
  const std::string junk = write_file("junk.model", "PLUMATOX and more");
  CHECK(contains(tokenizer_load(junk, out).message(), "junk.model': not a pluma tokenizer"));
}

// ---------------------------------------------------------------- inputs and options

TEST_CASE("training refuses missing, empty and non-UTF-8 corpora with their messages") {
  const std::string missing = (scratch().path / "missing.txt").string();
  CHECK(contains(train_error(tokenizer_kind::chars, {missing}).message(), "corpus file '" + missing + "' not found"));
  const std::string empty = write_file("empty.txt", "");
  CHECK(contains(train_error(tokenizer_kind::words, {empty}).message(), "corpus file '" + empty + "' is empty"));
  const std::string bad = write_file("latin1.txt", "Espa\xf1" "a\n");
  const std::string msg = train_error(tokenizer_kind::bpe, {bad}, 1000).message();
  CHECK(contains(msg, "latin1.txt"));
  CHECK(contains(msg, "invalid UTF-8 at byte offset 4"));
  // The second input is checked too.
  CHECK(contains(train_error(tokenizer_kind::chars, {data_dir + "/tinyshakespeare.txt", empty}).message(), "is empty"));
  CHECK(contains(train_error(tokenizer_kind::bpe, {write_file("newlines.txt", "\n\n\n")}, 1000).message(),
                 "the corpus has no text besides line breaks"));
}

TEST_CASE("option checks say what is wrong") {
  tokenizer_train_config cfg;
  cfg.inputs = {"x"};
  cfg.vocab_size = 4;
  CHECK(contains(tokenizer_train_config_check(cfg).message(), "vocabulary size 4 is too small: it must exceed the 4 special ids"));
  cfg.vocab_size = 100;
  cfg.kind = tokenizer_kind::unigram;
  CHECK(contains(tokenizer_train_config_check(cfg).message(), "vocabulary size 100 is too small for unigram"));
  cfg.vocab_size = 1000;
  CHECK(tokenizer_train_config_check(cfg));
  cfg.min_count = 0;
  CHECK(contains(tokenizer_train_config_check(cfg).message(), "minimum count 0 must be at least 1"));
  cfg.min_count = 1;
  cfg.inputs.clear();
  CHECK(contains(tokenizer_train_config_check(cfg).message(), "no training corpus"));
  tokenizer_kind k;
  CHECK(tokenizer_kind_parse("unigram", k));
  CHECK(k == tokenizer_kind::unigram);
  CHECK(tokenizer_kind_parse("char", k));
  CHECK(k == tokenizer_kind::chars);
  CHECK(contains(tokenizer_kind_parse("bpx", k).message(), "unknown tokenizer kind 'bpx': choose char, word, bpe or unigram"));
}

TEST_CASE("corpus names resolve in PLUMA_DATA and ../shared/data; a missing one says where it looked") {
  std::string path;
  REQUIRE(corpus_resolve("tinyshakespeare", path));
  CHECK(fs::equivalent(path, data_dir + "/tinyshakespeare.txt"));
  REQUIRE(corpus_resolve("multi30k/train.de", path));
  CHECK(fs::equivalent(path, data_dir + "/multi30k/train.de"));
  CHECK(train(tokenizer_kind::chars, {"tinyshakespeare"})->vocab_size() == 69);

  const fs::path own = scratch().path / "own_data";
  fs::create_directories(own);
  std::ofstream(own / "mini.txt") << "mini corpus\n";
  ::setenv("PLUMA_DATA", own.c_str(), 1);
  const status found = corpus_resolve("mini", path);
  ::unsetenv("PLUMA_DATA");
  REQUIRE(found);
  CHECK(fs::equivalent(path, own / "mini.txt"));

  const status none = corpus_resolve("no_such_corpus", path);
  CHECK(contains(none.message(), "corpus 'no_such_corpus' not found"));
  CHECK(contains(none.message(), "shared/data"));
  CHECK(contains(none.message(), "SOURCES.md"));
  const status tiny = corpus_resolve_in("tinyshakespeare", {own.string()}, path);
  CHECK(contains(tiny.message(), "no tinyshakespeare or tinyshakespeare.txt in " + own.string()));
  CHECK(contains(tiny.message(),
                 "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"));
}
