#include "model/embed/vectors.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "model/checkpoint.h"
#include "model/model_io.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

int word_vectors::find(std::string_view word) const {
  auto it = index.find(std::string(word));
  return it == index.end() ? -1 : it->second;
}

void word_vectors::add(const std::string& word, const float* values) {
  index.emplace(word, size());
  words.push_back(word);
  data.insert(data.end(), values, values + dim);
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string shown(std::string_view s) {
  std::string t(s.substr(0, 40));
  for (char& c : t) if (static_cast<unsigned char>(c) < 32) c = '?';
  return s.size() > 40 ? t + "..." : t;
}

// Splits s on spaces and tabs (a trailing '\r' too).
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) i++;
    size_t j = i;
    while (j < s.size() && !is_space(s[j])) j++;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool parse_int(std::string_view s, long long& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_float(std::string_view s, float& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

status parse_header(std::string_view line, long long& count, long long& dim) {
  auto f = fields(line);
  if (f.size() != 2 || !parse_int(f[0], count) || !parse_int(f[1], dim) || count < 0 || dim <= 0 || dim > 100000)
    return status::error("line 1: expected the header 'count dim' (two positive integers), got '" + shown(line) + "'");
  return status::ok();
}

// A text row: the word then exactly dim numbers. Empty error string when it is one.
std::string parse_text_row(std::string_view line, int dim, std::string& word, std::vector<float>& vals) {
  auto f = fields(line);
  if (f.empty()) return "an empty line where a word and its " + std::to_string(dim) + " values were expected";
  if (static_cast<int>(f.size()) != dim + 1)
    return "expected " + std::to_string(dim) + " values after '" + shown(f[0]) + "', got " + std::to_string(f.size() - 1);
  word.assign(f[0]);
  vals.resize(dim);
  for (int k = 0; k < dim; k++)
    if (!parse_float(f[k + 1], vals[k])) return "'" + shown(f[k + 1]) + "' is not a number (word '" + shown(f[0]) + "')";
  return "";
}

status read_text(std::string_view body, long long count, int dim, word_vectors& out) {
  std::string word;
  std::vector<float> vals;
  size_t pos = 0;
  long long line_no = 1;
  while (pos < body.size() && out.size() < count) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    line_no++;
    std::string why = parse_text_row(line, dim, word, vals);
    if (!why.empty()) return status::error("line " + std::to_string(line_no) + ": " + why);
    out.add(word, vals.data());
  }
  if (out.size() < count)
    return status::error("the header announces " + std::to_string(count) + " words, the file has " + std::to_string(out.size()));
  for (; pos < body.size(); pos++)
    if (!is_space(body[pos]) && body[pos] != '\n')
      return status::error("more rows than the header's " + std::to_string(count) + " words");
  return status::ok();
}

status read_binary(std::string_view body, long long count, int dim, word_vectors& out) {
  size_t pos = 0;
  std::vector<float> vals(dim);
  while (out.size() < count) {
    while (pos < body.size() && (body[pos] == '\n' || body[pos] == '\r')) pos++;
    size_t sp = body.find(' ', pos);
    if (sp == std::string_view::npos || sp == pos)
      return status::error("binary row " + std::to_string(out.size() + 1) + ": the file ends where a word was expected (header announces " +
                           std::to_string(count) + " words)");
    std::string word(body.substr(pos, sp - pos));
    pos = sp + 1;
    if (body.size() - pos < sizeof(float) * dim)
      return status::error("binary row " + std::to_string(out.size() + 1) + " ('" + shown(word) + "'): the file ends inside its " +
                           std::to_string(dim) + " values");
    std::memcpy(vals.data(), body.data() + pos, sizeof(float) * dim);
    pos += sizeof(float) * dim;
    out.add(word, vals.data());
  }
  return status::ok();
}

}  // namespace

status vectors_read_word2vec(const std::string& path, word_vectors& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return status::error("cannot open vectors file '" + path + "'");
  std::ostringstream b;
  b << f.rdbuf();
  const std::string all = b.str();
  auto ctx = "vectors file '" + path + "'";
  if (all.empty()) return status::error(ctx + ": the file is empty");
  size_t nl = all.find('\n');
  if (nl == std::string::npos) return status::error(ctx + ": line 1: no header line ('count dim')");
  long long count = 0, dim = 0;
  PLUMA_TRY(parse_header(std::string_view(all).substr(0, nl), count, dim).with_context(ctx));
  std::string_view body = std::string_view(all).substr(nl + 1);
  out = word_vectors{};
  out.dim = static_cast<int>(dim);
  // A row takes at least 2*dim + 2 bytes (text: a one-letter word, "0 " per value, the newline; binary: 4
  // bytes per value): the header's count is trusted for reserving no further than the file can hold.
  const size_t rows = std::min<size_t>(static_cast<size_t>(count), body.size() / (2 * static_cast<size_t>(dim) + 2));
  out.words.reserve(rows);
  out.data.reserve(rows * static_cast<size_t>(dim));
  // Text or binary: a first row that reads as text (word + dim numbers on one line) is text.
  size_t nl2 = body.find('\n');
  std::string word;
  std::vector<float> vals;
  bool text = count == 0 || parse_text_row(body.substr(0, nl2 == std::string_view::npos ? body.size() : nl2), out.dim, word, vals).empty();
  bool printable = true;
  for (char c : body.substr(0, std::min<size_t>(body.size(), 4096)))
    printable &= static_cast<unsigned char>(c) >= 32 || c == '\n' || c == '\t' || c == '\r';
  status st = text || printable ? read_text(body, count, out.dim, out) : read_binary(body, count, out.dim, out);
  return st.with_context(ctx);
}

status vectors_read_checkpoint(const std::string& path, word_vectors& out) {
  checkpoint ck;
  PLUMA_TRY(checkpoint_read(path, ck, checkpoint_for_use));
  auto ctx = "checkpoint '" + path + "'";
  std::unique_ptr<tokenizer> tok;
  PLUMA_TRY(checkpoint_tokenizer(ck, "tokenizer", tok).with_context(ctx));
  // GPT: wte; LSTM LM: emb; seq2seq: the decoder's (target) table, whose vocabulary is the tokenizer's.
  const checkpoint_tensor* e = nullptr;
  for (const char* name : {"wte.weight", "emb.weight", "tgt_emb.weight"})
    if (!e) e = ck.find(name);
  if (!e || e->dtype != tensor_dtype::f32 || e->shape.size() != 2)
    return status::error(ctx + ": no token embedding table (wte.weight, emb.weight or tgt_emb.weight)");
  if (e->shape[0] != tok->vocab_size())
    return status::error(ctx + ": the embedding table has " + std::to_string(e->shape[0]) + " rows, the tokenizer " +
                         std::to_string(tok->vocab_size()) + " pieces");
  out = word_vectors{};
  out.dim = static_cast<int>(e->shape[1]);
  for (int id = num_special_ids; id < tok->vocab_size(); id++)   // <pad> <unk> <sos> <eos> are no words
    out.add(tok->id_to_piece(id), e->f32() + static_cast<size_t>(id) * out.dim);
  return status::ok();
}

status vectors_read(const std::string& path, word_vectors& out) {
  if (ends_with(path, ".pluma")) return vectors_read_checkpoint(path, out);
  return vectors_read_word2vec(path, out);
}

status vectors_write(const std::string& path, const word_vectors& v, vectors_format fmt) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return status::error("cannot write vectors file '" + path + "'");
  std::fprintf(f, "%d %d\n", v.size(), v.dim);
  char buf[64];
  for (int i = 0; i < v.size(); i++) {
    std::fputs(v.words[i].c_str(), f);
    const float* r = v.row(i);
    if (fmt == vectors_format::binary) {
      std::fputc(' ', f);
      std::fwrite(r, sizeof(float), v.dim, f);
    } else {
      for (int k = 0; k < v.dim; k++) {   // shortest text that reads back to the same float
        auto res = std::to_chars(buf, buf + sizeof buf, r[k]);
        std::fputc(' ', f);
        std::fwrite(buf, 1, res.ptr - buf, f);
      }
    }
    std::fputc('\n', f);
  }
  bool ok = std::fflush(f) == 0;
  ok &= std::fclose(f) == 0;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return status::error("could not write vectors file '" + path + "' (disk full?)");
  }
  return status::ok();
}

}  // namespace pluma
