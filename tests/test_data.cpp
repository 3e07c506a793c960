// data/: corpus reading, token shards, train/val split, samplers, parallel corpus and length buckets.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "data/bucket.h"
#include "data/corpus.h"
#include "data/parallel.h"
#include "data/sampler.h"
#include "data/shard.h"
#include "data/split.h"
#include "data/utf8_check.h"
#include "tokenizer/tokenizer.h"

using namespace pluma;
namespace fs = std::filesystem;

namespace {

const std::string data_dir = std::string(PLUMA_SOURCE_DIR) + "/../shared/data";

// A fresh folder under the system temp dir for this test program, removed at exit.
struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("pluma_test_data_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};
const temp_dir tmp;

std::string write_file(const std::string& name, const std::string& bytes) {
  std::string p = tmp.file(name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::vector<int> iota_ids(int n) {
  std::vector<int> v(n);
  for (int i = 0; i < n; i++) v[i] = i;
  return v;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

// ---------------------------------------------------------------- UTF-8 and corpus

TEST_CASE("utf8 check accepts well-formed text and finds the first bad byte") {
  CHECK(utf8_first_invalid_offset("¿qué? ñandú Straße 日本 😀") == std::string_view::npos);
  CHECK(utf8_first_invalid_offset("") == std::string_view::npos);
  CHECK(utf8_first_invalid_offset("abc\x80") == 3);                       // lone continuation byte
  CHECK(utf8_first_invalid_offset("ab\xC0\xAF") == 2);                    // overlong '/'
  CHECK(utf8_first_invalid_offset("\xE0\x80\x80") == 0);                  // overlong 3-byte
  CHECK(utf8_first_invalid_offset("x\xED\xA0\x80") == 1);                 // surrogate U+D800
  CHECK(utf8_first_invalid_offset("\xF4\x90\x80\x80") == 0);              // above U+10FFFF
  CHECK(utf8_first_invalid_offset("\xF5\x80\x80\x80") == 0);
  CHECK(utf8_first_invalid_offset("ok \xE2\x82") == 3);                   // truncated euro sign
  CHECK(utf8_first_invalid_offset("0123456789abcdefgh\xC3(") == 18);      // after the ASCII fast path
  CHECK(utf8_first_invalid_offset("0123456789abcdé\xFF") == 16);
  CHECK(line_of_offset("a\nb\nc", 4) == 3);
}

TEST_CASE("corpus_read returns the bytes unchanged") {
  std::string text = "line one\r\n\ttabs  and  spaces\n¿qué?\n";
  std::string out;
  REQUIRE(corpus_read(write_file("ok.txt", text), out));
  CHECK(out == text);
  status st = corpus_read(data_dir + "/tinyshakespeare.txt", out);
  REQUIRE_MESSAGE(st, st.message());
  CHECK(out.size() == 1115394);
  CHECK(out.rfind("First Citizen:", 0) == 0);
}

TEST_CASE("corpus_read rejects missing, empty, directory and invalid UTF-8 files with messages") {
  std::string out;
  std::string missing = tmp.file("no_such_corpus.txt");
  status st = corpus_read(missing, out);
  CHECK(!st);
  CHECK(st.message() == "corpus file '" + missing + "' not found");

  std::string empty = write_file("empty.txt", "");
  st = corpus_read(empty, out);
  CHECK(st.message() == "corpus file '" + empty + "' is empty");

  st = corpus_read(tmp.path.string(), out);
  CHECK(contains(st.message(), "is a directory, not a file"));

  std::string bad = write_file("latin1.txt", "hello\nse\xF1or\n");   // Latin-1 ñ
  st = corpus_read(bad, out);
  CHECK(!st);
  CHECK(contains(st.message(), "'" + bad + "': invalid UTF-8 at byte offset 8 (line 2)"));
}

// ---------------------------------------------------------------- shards

TEST_CASE("shard write/read round trip with uint16 ids") {
  std::vector<int> ids;
  for (int i = 0; i < 1000; i++) ids.push_back((i * 37) % 65536);
  ids.push_back(65535);
  std::string p = tmp.file("u16.bin");
  REQUIRE(shard_write(p, ids, 0xDEADBEEFCAFEF00DULL, 65536));
  CHECK(!fs::exists(p + ".tmp"));
  CHECK(fs::file_size(p) == shard_header_bytes + 2 * ids.size());
  shard s;
  status st = shard::open(p, s);
  REQUIRE_MESSAGE(st, st.message());
  CHECK(s.size() == ids.size());
  CHECK(s.id_width() == 2);
  CHECK(s.vocab_size() == 65536);
  CHECK(s.tokenizer_hash() == 0xDEADBEEFCAFEF00DULL);
  for (size_t i = 0; i < ids.size(); i++) REQUIRE(s[i] == ids[i]);
  std::vector<int32_t> win(10);   // (10)
  s.copy(990, 10, win.data());
  CHECK(std::equal(win.begin(), win.end(), ids.begin() + 990));
  CHECK(s.expect_tokenizer(0xDEADBEEFCAFEF00DULL, 65536));
  status other = s.expect_tokenizer(1, 65536);
  CHECK(contains(other.message(), "was made with another tokenizer"));
  CHECK(contains(other.message(), "re-run `pluma prepare`"));

  shard moved = std::move(s);   // the mapping moves with the object
  CHECK(moved.size() == ids.size());
  CHECK(moved[1000] == 65535);
}

TEST_CASE("shard write/read round trip with uint32 ids, and an empty shard") {
  std::vector<int> ids = {0, 65536, 70000, 99999, 3, 12345};
  std::string p = tmp.file("u32.bin");
  REQUIRE(shard_write(p, ids, 42, 100000));
  CHECK(fs::file_size(p) == shard_header_bytes + 4 * ids.size());
  shard s;
  REQUIRE(shard::open(p, s));
  CHECK(s.id_width() == 4);
  CHECK(s.vocab_size() == 100000);
  for (size_t i = 0; i < ids.size(); i++) CHECK(s[i] == ids[i]);

  // rewriting replaces the file
  REQUIRE(shard_write(p, {5, 6}, 42, 100000));
  REQUIRE(shard::open(p, s));
  CHECK(s.size() == 2);
  CHECK(s[1] == 6);

  REQUIRE(shard_write(tmp.file("empty.bin"), {}, 7, 10));
  REQUIRE(shard::open(tmp.file("empty.bin"), s));
  CHECK(s.size() == 0);
}

TEST_CASE("shard_write refuses ids outside the vocabulary") {
  std::string p = tmp.file("bad_ids.bin");
  status st = shard_write(p, {1, 2, 70}, 0, 65);
  CHECK(st.message() == "cannot write shard '" + p + "': token 2 has id 70, outside the vocabulary [0, 65)");
  CHECK(!fs::exists(p));
  CHECK(!fs::exists(p + ".tmp"));
  CHECK(contains(shard_write(p, {}, 0, 0).message(), "vocab size 0 must be positive"));
}

TEST_CASE("corrupt, truncated and foreign shards give clear errors") {
  std::string good = tmp.file("good.bin");
  REQUIRE(shard_write(good, iota_ids(100), 9, 200));
  const std::string bytes = read_bytes(good);
  shard s;
  auto open_bytes = [&](const std::string& name, const std::string& b) {
    return shard::open(write_file(name, b), s).message();
  };

  CHECK(contains(shard::open(tmp.file("absent.bin"), s).message(), "not found; create it with `pluma prepare`"));
  CHECK(contains(open_bytes("short.bin", bytes.substr(0, 10)),
                 "file of 10 bytes is too small for the 64-byte shard header"));
  CHECK(contains(open_bytes("trunc.bin", bytes.substr(0, bytes.size() - 1)),
                 "header says 100 tokens (2 bytes each) but the file holds 199 bytes of ids (truncated or corrupt)"));
  CHECK(contains(open_bytes("long.bin", bytes + "xy"), "but the file holds 202 bytes of ids"));
  CHECK(contains(open_bytes("text.bin", std::string(200, 'a')), "not a pluma token shard (bad magic"));

  std::string v2 = bytes;
  v2[8] = 2;
  CHECK(contains(open_bytes("v2.bin", v2), "shard version 2 is not supported (this build reads version 1)"));

  std::string width = bytes;
  width[12] = 4;
  CHECK(contains(open_bytes("width.bin", width), "header says 4 bytes per id, but a vocab of 200 needs 2"));

  std::string huge = bytes;   // token count 2^60: must not overflow the size check
  huge[32 + 7] = 0x10;
  CHECK(contains(open_bytes("huge.bin", huge), "header says 1152921504606847076 tokens"));

  std::string bad_id = bytes;   // id 5 <- 300 (>= vocab 200)
  bad_id[shard_header_bytes + 10] = static_cast<char>(300 & 0xFF);
  bad_id[shard_header_bytes + 11] = static_cast<char>(300 >> 8);
  CHECK(contains(open_bytes("badid.bin", bad_id), "token 5 has id 300, outside the vocabulary [0, 200) (corrupt file)"));
  CHECK(s.size() == 0);   // a failed open leaves an empty shard
}

// ---------------------------------------------------------------- split

TEST_CASE("split_train_val keeps the last fraction for validation") {
  std::vector<int> train, val;
  REQUIRE(split_train_val(iota_ids(10), 0.1, train, val));
  CHECK(train == iota_ids(9));
  CHECK(val == std::vector<int>{9});
  REQUIRE(split_train_val(iota_ids(1000), 0.25, train, val));
  CHECK(train.size() == 750);
  CHECK(val.front() == 750);
  CHECK(val.back() == 999);
  REQUIRE(split_train_val(iota_ids(10), 0.0, train, val));
  CHECK(train.size() == 10);
  CHECK(val.empty());

  CHECK(contains(split_train_val(iota_ids(10), 1.0, train, val).message(), "validation fraction 1.000000 is outside [0, 1)"));
  CHECK(contains(split_train_val(iota_ids(10), -0.1, train, val).message(), "is outside [0, 1)"));
  CHECK(contains(split_train_val(iota_ids(1), 0.5, train, val).message(), "leaves no training tokens"));
  CHECK(contains(split_train_val(iota_ids(5), 1e-18, train, val).message(), "leaves no validation tokens"));
}

// ---------------------------------------------------------------- samplers
// The corpora below are 0, 1, 2, ..., so a window's first input is its start offset.

TEST_CASE("random windows: shapes, shift-by-one targets and offsets in [0, N-T-1]") {
  const int N = 50, B = 8, T = 7;
  std::vector<int> ids = iota_ids(N);
  window_sampler ws;
  REQUIRE(window_sampler::create(token_view::of(ids), B, T, 1234, ws));
  std::vector<int32_t> x(B * T), y(B * T);   // (B, T)
  std::set<int> starts;
  for (int it = 0; it < 200; it++) {
    ws.next(x.data(), y.data());
    for (int b = 0; b < B; b++) {
      int start = x[b * T];
      REQUIRE(start >= 0);
      REQUIRE(start <= N - T - 1);
      starts.insert(start);
      for (int t = 0; t < T; t++) {
        REQUIRE(x[b * T + t] == start + t);
        REQUIRE(y[b * T + t] == start + t + 1);
      }
    }
  }
  CHECK(starts.size() == static_cast<size_t>(N - T));   // every start 0..N-T-1 is drawn
}

TEST_CASE("random windows: deterministic by seed, state save/restore resumes exactly") {
  std::vector<int> ids = iota_ids(10000);
  const int B = 4, T = 16;
  auto batch = [&](window_sampler& s) {
    std::vector<int32_t> x(B * T), y(B * T);
    s.next(x.data(), y.data());
    return x;
  };
  window_sampler a, b, c;
  REQUIRE(window_sampler::create(token_view::of(ids), B, T, 7, a));
  REQUIRE(window_sampler::create(token_view::of(ids), B, T, 7, b));
  REQUIRE(window_sampler::create(token_view::of(ids), B, T, 8, c));
  CHECK(batch(a) == batch(b));
  CHECK(batch(a) != batch(c));

  rng saved = a.generator();
  auto expected = batch(a);
  auto after = batch(a);
  window_sampler resumed;
  REQUIRE(window_sampler::create(token_view::of(ids), B, T, 999, resumed));
  resumed.set_generator(saved);
  CHECK(batch(resumed) == expected);
  CHECK(batch(resumed) == after);
}

TEST_CASE("random windows read a memory-mapped uint16 shard") {
  std::string p = tmp.file("win.bin");
  REQUIRE(shard_write(p, iota_ids(300), 1, 300));
  shard s;
  REQUIRE(shard::open(p, s));
  window_sampler ws;
  REQUIRE(window_sampler::create(s.view(), 3, 10, 5, ws));
  std::vector<int32_t> x(30), y(30);
  ws.next(x.data(), y.data());
  for (int b = 0; b < 3; b++)
    for (int t = 0; t < 10; t++) CHECK(y[b * 10 + t] == x[b * 10 + t] + 1);
}

TEST_CASE("a corpus shorter than the context + 1 is refused") {
  std::vector<int> ids = iota_ids(16);
  window_sampler ws;
  status st = window_sampler::create(token_view::of(ids), 2, 16, 0, ws);
  CHECK(st.message() == "corpus of 16 tokens is shorter than the context T+1 = 17; use a smaller --context or more text");
  CHECK(window_sampler::create(token_view::of(ids), 2, 15, 0, ws));   // N = T+1: exactly one window
  CHECK(contains(window_sampler::create(token_view::of(ids), 0, 4, 0, ws).message(), "batch size 0 must be positive"));
  stream_sampler ss;
  st = stream_sampler::create(token_view::of(ids), 4, 4, ss);   // 4 tokens per stream < 5
  CHECK(st.message() == "corpus of 16 tokens cut into 4 streams gives 4 tokens per stream, shorter than the context "
                        "T+1 = 5; use a smaller --batch or --context, or more text");
  window_iterator wi;
  CHECK(contains(window_iterator::create(token_view::of(ids), 1, 16, wi).message(), "shorter than the context T+1 = 17"));
}

TEST_CASE("contiguous streams: each row continues where it ended, then wraps") {
  const int N = 103, B = 4, T = 5;   // L = 25 tokens per stream, (25-1)/5 = 4 batches per pass
  std::vector<int> ids = iota_ids(N);
  stream_sampler ss;
  REQUIRE(stream_sampler::create(token_view::of(ids), B, T, ss));
  CHECK(ss.stream_length() == 25);
  CHECK(ss.batches_per_pass() == 4);
  std::vector<int32_t> x(B * T), y(B * T), px(B * T), py(B * T);   // (B, T)
  for (int k = 0; k < 9; k++) {
    bool new_pass = ss.next(x.data(), y.data());
    CHECK(new_pass == (k % 4 == 0));
    for (int b = 0; b < B; b++) {
      CHECK(x[b * T] == b * 25 + (k % 4) * T);   // stream b starts at b*L
      for (int t = 0; t < T; t++) CHECK(y[b * T + t] == x[b * T + t] + 1);
      if (k % 4 != 0) {   // continuity: this batch's inputs begin right after the previous batch's inputs
        CHECK(x[b * T] == px[b * T + T - 1] + 1);
        CHECK(x[b * T] == py[b * T + T - 1]);
      }
      CHECK(y[b * T + T - 1] < (b + 1) * 25);   // never reads into the next stream
    }
    px = x;
    py = y;
  }
}

TEST_CASE("contiguous streams: the position saves and restores") {
  std::vector<int> ids = iota_ids(1000);
  stream_sampler a, b;
  REQUIRE(stream_sampler::create(token_view::of(ids), 3, 8, a));
  REQUIRE(stream_sampler::create(token_view::of(ids), 3, 8, b));
  std::vector<int32_t> x(24), y(24), x2(24), y2(24);
  for (int i = 0; i < 5; i++) a.next(x.data(), y.data());
  CHECK(a.position() == 40);
  REQUIRE(b.set_position(a.position()));
  a.next(x.data(), y.data());
  b.next(x2.data(), y2.data());
  CHECK(x == x2);
  CHECK(y == y2);
  CHECK(contains(b.set_position(12).message(), "stream position 12 is not a multiple of the context 8"));
  CHECK(contains(b.set_position(336).message(), "below the stream length 333"));
}

TEST_CASE("fixed evaluation windows are evenly spaced and the same each call") {
  std::vector<size_t> s1, s2;
  REQUIRE(eval_window_starts(100, 10, 5, s1));
  CHECK(s1 == std::vector<size_t>{0, 22, 44, 66, 89});
  REQUIRE(eval_window_starts(100, 10, 5, s2));
  CHECK(s1 == s2);
  REQUIRE(eval_window_starts(100, 10, 1, s2));
  CHECK(s2 == std::vector<size_t>{0});
  CHECK(contains(eval_window_starts(10, 10, 3, s2).message(), "corpus of 10 tokens is shorter"));
  CHECK(contains(eval_window_starts(100, 10, 0, s2).message(), "evaluation window count 0 must be positive"));

  std::vector<int> ids = iota_ids(100);
  std::vector<int32_t> x(5 * 10), y(5 * 10);   // (5, 10)
  fill_windows(token_view::of(ids), 10, s1.data(), 5, x.data(), y.data());
  CHECK(x[4 * 10] == 89);
  CHECK(y[4 * 10 + 9] == 99);   // the last window ends on the last token
}

TEST_CASE("window iterator visits all floor((N-1)/T) non-overlapping windows once") {
  std::vector<int> ids = iota_ids(23);   // (23-1)/5 = 4 windows
  window_iterator wi;
  REQUIRE(window_iterator::create(token_view::of(ids), 3, 5, wi));
  CHECK(wi.num_windows() == 4);
  std::vector<int32_t> x(15), y(15);   // (3, 5)
  CHECK(wi.next(x.data(), y.data()) == 3);
  CHECK(x[0] == 0);
  CHECK(x[5] == 5);
  CHECK(x[10] == 10);
  CHECK(wi.next(x.data(), y.data()) == 1);
  CHECK(x[0] == 15);
  CHECK(y[4] == 20);
  CHECK(wi.next(x.data(), y.data()) == 0);
  wi.reset();
  CHECK(wi.next(x.data(), y.data()) == 3);
  CHECK(x[0] == 0);

  std::vector<int> exact = iota_ids(21);   // (21-1)/5 = 4: the last target is the last token
  REQUIRE(window_iterator::create(token_view::of(exact), 4, 5, wi));
  CHECK(wi.num_windows() == 4);
  std::vector<int32_t> x4(20), y4(20);   // (4, 5)
  CHECK(wi.next(x4.data(), y4.data()) == 4);
  CHECK(x4[15] == 15);
  CHECK(y4[19] == 20);
}

// ---------------------------------------------------------------- parallel corpus

TEST_CASE("parallel reader: Multi30k train has 29000 aligned pairs") {
  std::vector<sentence_pair> pairs;
  parallel_stats stats;
  status st = parallel_read_files(data_dir + "/multi30k/train.en", data_dir + "/multi30k/train.de", pairs, {}, &stats);
  REQUIRE_MESSAGE(st, st.message());
  CHECK(pairs.size() == 29000);
  CHECK(stats.lines == 29000);
  std::ifstream en(data_dir + "/multi30k/train.en"), de(data_dir + "/multi30k/train.de");
  std::string first_en, first_de;
  std::getline(en, first_en);
  std::getline(de, first_de);
  CHECK(pairs[0].src == first_en);
  CHECK(pairs[0].tgt == first_de);
  for (const auto& p : pairs) REQUIRE((p.src.find('\n') == std::string::npos && !p.src.empty() && !p.tgt.empty()));

  parallel_read_config cfg;
  cfg.max_pairs = 100;
  REQUIRE(parallel_read_files(data_dir + "/multi30k/val.en", data_dir + "/multi30k/val.de", pairs, cfg));
  CHECK(pairs.size() == 100);
}

TEST_CASE("parallel reader: the Tatoeba TSV gives English-Spanish pairs") {
  std::vector<sentence_pair> pairs;
  status st = parallel_read_tsv(data_dir + "/tatoeba-en-es.tsv", pairs);
  REQUIRE_MESSAGE(st, st.message());
  CHECK(pairs.size() == 118121);
  CHECK(pairs[0].src == "Go.");
  CHECK(pairs[0].tgt == "Ve.");
  for (const auto& p : pairs) REQUIRE((p.src.find('\t') == std::string::npos && p.tgt.find('\t') == std::string::npos));
}

TEST_CASE("parallel reader: line endings, extra TSV columns, empty-line policy") {
  std::vector<sentence_pair> pairs;
  // CRLF is dropped, a last line without '\n' counts, columns past the second are ignored
  REQUIRE(parallel_read_tsv(write_file("x.tsv", "a\tb\r\nc d\te\tnote\n¿sí?\tyes"), pairs));
  REQUIRE(pairs.size() == 3);
  CHECK(pairs[0].tgt == "b");
  CHECK(pairs[1].src == "c d");
  CHECK(pairs[1].tgt == "e");
  CHECK(pairs[2].src == "¿sí?");

  std::string en = write_file("e.en", "one\n\nthree\n"), de = write_file("e.de", "eins\nzwei\ndrei\n");
  status st = parallel_read_files(en, de, pairs);
  CHECK(st.message() == "line 2 of '" + en + "' is empty; remove it or skip empty lines");
  parallel_read_config skip;
  skip.empty_lines = empty_line_policy::skip;
  parallel_stats stats;
  REQUIRE(parallel_read_files(en, de, pairs, skip, &stats));
  CHECK(pairs.size() == 2);
  CHECK(pairs[1].tgt == "drei");
  CHECK(stats.skipped_empty == 1);

  std::string tsv = write_file("empty_field.tsv", "a\tb\nc\t\n");
  CHECK(parallel_read_tsv(tsv, pairs).message() == "line 2 of '" + tsv + "' has an empty target; remove it or skip empty lines");
  REQUIRE(parallel_read_tsv(tsv, pairs, skip));
  CHECK(pairs.size() == 1);
}

TEST_CASE("parallel reader refuses misaligned input naming the line") {
  std::vector<sentence_pair> pairs;
  std::string en = write_file("m.en", "a\nb\nc\n"), de = write_file("m.de", "x\ny\n");
  status st = parallel_read_files(en, de, pairs);
  CHECK(st.message() == "'" + en + "' has 3 lines but '" + de + "' has 2; the files must be line-aligned");

  std::string tsv = write_file("notab.tsv", "a\tb\nno tab here\nc\td\n");
  st = parallel_read_tsv(tsv, pairs);
  CHECK(st.message() == "line 2 of '" + tsv + "' has no tab; expected source<TAB>target");

  std::string bad = write_file("bad.de", "x\ny\xFF\nz\n");
  st = parallel_read_files(en, bad, pairs);
  CHECK(contains(st.message(), "invalid UTF-8 at byte offset 3 (line 2)"));
  CHECK(contains(parallel_read_files(en, tmp.file("none.de"), pairs).message(), "none.de' not found"));
}

// ---------------------------------------------------------------- length buckets

namespace {

std::vector<encoded_pair> random_pairs(int n, uint64_t seed) {
  rng g(seed);
  std::vector<encoded_pair> pairs(n);
  for (auto& p : pairs) {
    int s = 1 + static_cast<int>(g.below(30)), t = static_cast<int>(g.below(25));
    for (int i = 0; i < s; i++) p.src.push_back(num_special_ids + static_cast<int>(g.below(100)));
    for (int i = 0; i < t; i++) p.tgt.push_back(num_special_ids + static_cast<int>(g.below(100)));
  }
  return pairs;
}

// Checks one batch against its pairs: padding, masks, sos/eos placement, sizes.
void check_batch(const seq2seq_batch& bt, const std::vector<encoded_pair>& pairs) {
  REQUIRE(bt.pair_index.size() == static_cast<size_t>(bt.B));
  int S = 0, T = 0;
  for (int b = 0; b < bt.B; b++) {
    const encoded_pair& p = pairs[bt.pair_index[b]];
    const int s = static_cast<int>(p.src.size()), t = static_cast<int>(p.tgt.size());
    S = std::max(S, s);
    T = std::max(T, t + 1);
    REQUIRE(bt.src_len[b] == s);
    REQUIRE(bt.tgt_len[b] == t + 1);
    for (int i = 0; i < bt.S; i++) {
      REQUIRE(bt.src[b * bt.S + i] == (i < s ? p.src[i] : pad_id));
      REQUIRE(bt.src_mask[b * bt.S + i] == (i < s ? 1.0f : 0.0f));
    }
    for (int i = 0; i < bt.T; i++) {
      int in = i == 0 ? sos_id : i <= t ? p.tgt[i - 1] : pad_id;
      int out = i < t ? p.tgt[i] : i == t ? eos_id : pad_id;
      REQUIRE(bt.tgt_in[b * bt.T + i] == in);
      REQUIRE(bt.tgt_out[b * bt.T + i] == out);
      REQUIRE(bt.tgt_mask[b * bt.T + i] == (i <= t ? 1.0f : 0.0f));
    }
  }
  CHECK(bt.S == S);   // no all-padding column
  CHECK(bt.T == T);
}

std::vector<std::vector<size_t>> run_epoch(bucket_batcher& bb) {
  std::vector<std::vector<size_t>> batches;
  seq2seq_batch bt;
  while (bb.next(bt)) batches.push_back(bt.pair_index);
  return batches;
}

}  // namespace

TEST_CASE("buckets: masks right, every pair exactly once per epoch, similar source lengths together") {
  auto pairs = random_pairs(500, 3);
  bucket_batcher bb;
  bucket_config cfg;
  cfg.max_sentences = 16;
  REQUIRE(bucket_batcher::create(pairs, cfg, 11, bb));
  for (int epoch = 0; epoch < 2; epoch++) {
    std::vector<int> seen(pairs.size(), 0);
    const size_t planned = bb.batches_in_epoch();
    seq2seq_batch bt;
    size_t batches = 0;
    while (bb.next(bt)) {
      batches++;
      CHECK(bt.B <= 16);
      check_batch(bt, pairs);
      size_t lo = SIZE_MAX, hi = 0;
      for (size_t idx : bt.pair_index) {
        seen[idx]++;
        lo = std::min(lo, pairs[idx].src.size());
        hi = std::max(hi, pairs[idx].src.size());
      }
      // a batch is a run of the length-sorted order: no pair outside it has a length strictly inside (lo, hi)
      std::set<size_t> in(bt.pair_index.begin(), bt.pair_index.end());
      for (size_t i = 0; i < pairs.size(); i++)
        if (!in.count(i)) REQUIRE(!(pairs[i].src.size() > lo && pairs[i].src.size() < hi));
    }
    CHECK(batches == planned);
    CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
    CHECK(bb.state().epoch == static_cast<uint64_t>(epoch + 1));
  }
}

TEST_CASE("buckets: token budget, determinism by seed, shuffled per epoch, exact resume") {
  auto pairs = random_pairs(300, 4);
  bucket_config cfg;
  cfg.max_sentences = 64;
  cfg.max_tokens = 200;
  bucket_batcher a, b, c;
  REQUIRE(bucket_batcher::create(pairs, cfg, 5, a));
  REQUIRE(bucket_batcher::create(pairs, cfg, 5, b));
  REQUIRE(bucket_batcher::create(pairs, cfg, 6, c));
  seq2seq_batch bt;
  while (a.next(bt)) {
    check_batch(bt, pairs);
    if (bt.B > 1) CHECK(bt.B * (bt.S + bt.T) <= 200);
  }
  auto a1 = run_epoch(a), b0 = run_epoch(b), b1 = run_epoch(b), c0 = run_epoch(c);
  CHECK(b1 == a1);   // same seed, same epoch -> same batches
  CHECK(b0 != b1);   // a new order each epoch
  CHECK(b0 != c0);   // another seed, another order

  // resume in the middle of epoch 1
  bucket_batcher d, e;
  REQUIRE(bucket_batcher::create(pairs, cfg, 5, d));
  run_epoch(d);
  for (int i = 0; i < 3; i++) d.next(bt);
  bucket_state saved = d.state();
  CHECK(saved.epoch == 1);
  CHECK(saved.batch == 3);
  REQUIRE(d.next(bt));
  REQUIRE(bucket_batcher::create(pairs, cfg, 5, e));
  REQUIRE(e.set_state(saved));
  seq2seq_batch bt2;
  REQUIRE(e.next(bt2));
  CHECK(bt2.pair_index == bt.pair_index);
  CHECK(bt2.tgt_out == bt.tgt_out);
  CHECK(contains(e.set_state({0, 100000}).message(), "saved batch position 100000 is past the"));
}

TEST_CASE("buckets: errors, and one epoch over Multi30k encoded as bytes") {
  std::vector<encoded_pair> none, empty_src = {{{}, {5}}};
  bucket_batcher bb;
  CHECK(bucket_batcher::create(none, {}, 0, bb).message() == "the parallel corpus has no sentence pairs");
  CHECK(bucket_batcher::create(empty_src, {}, 0, bb).message() == "sentence pair 0 has an empty source after encoding");
  bucket_config zero;
  zero.max_sentences = 0;
  CHECK(contains(bucket_batcher::create(empty_src, zero, 0, bb).message(), "sentences per batch 0 must be positive"));

  std::vector<sentence_pair> text;
  REQUIRE(parallel_read_files(data_dir + "/multi30k/train.en", data_dir + "/multi30k/train.de", text));
  std::vector<encoded_pair> pairs(text.size());
  for (size_t i = 0; i < text.size(); i++) {   // a stand-in encoding: one id per byte
    for (unsigned char ch : text[i].src) pairs[i].src.push_back(num_special_ids + ch);
    for (unsigned char ch : text[i].tgt) pairs[i].tgt.push_back(num_special_ids + ch);
  }
  bucket_config cfg;
  cfg.max_sentences = 128;
  REQUIRE(bucket_batcher::create(pairs, cfg, 1, bb));
  std::vector<int> seen(pairs.size(), 0);
  size_t real = 0, padded = 0;
  seq2seq_batch bt;
  while (bb.next(bt)) {
    for (int b = 0; b < bt.B; b++) {
      seen[bt.pair_index[b]]++;
      real += static_cast<size_t>(bt.src_len[b]);
    }
    padded += static_cast<size_t>(bt.B) * bt.S;
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
  CHECK(static_cast<double>(real) / padded > 0.98);   // bucketing keeps source padding small
}
