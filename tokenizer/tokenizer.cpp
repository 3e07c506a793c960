// The tokenizer factory: kind names, training from corpus files, the serialized container,
// save/load and the hash. The kinds themselves live in char_tokenizer.cpp, word_tokenizer.cpp
// and sp_tokenizer.cpp.
#include "tokenizer/tokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/core/file_write.h"
#include "tokenizer/corpus_read.h"
#include "tokenizer/corpus_path.h"
#include "tokenizer/kinds.h"

namespace pluma {

namespace {

constexpr std::string_view tokenizer_magic = "PLUMATOK";
constexpr size_t tokenizer_header_bytes = 8 + 4 + 4 + 8;   // magic, version, kind, payload length

uint32_t kind_code(tokenizer_kind k) {
  switch (k) {
    case tokenizer_kind::chars: return 1;
    case tokenizer_kind::words: return 2;
    case tokenizer_kind::bpe: return 3;
    case tokenizer_kind::unigram: return 4;
  }
  return 0;
}

bool kind_from_code(uint32_t code, tokenizer_kind& k) {
  switch (code) {
    case 1: k = tokenizer_kind::chars; return true;
    case 2: k = tokenizer_kind::words; return true;
    case 3: k = tokenizer_kind::bpe; return true;
    case 4: k = tokenizer_kind::unigram; return true;
  }
  return false;
}

}  // namespace

const char* tokenizer_kind_name(tokenizer_kind k) {
  switch (k) {
    case tokenizer_kind::chars: return "char";
    case tokenizer_kind::words: return "word";
    case tokenizer_kind::bpe: return "bpe";
    case tokenizer_kind::unigram: return "unigram";
  }
  return "?";
}

status tokenizer_kind_parse(std::string_view name, tokenizer_kind& out) {
  for (tokenizer_kind k : {tokenizer_kind::chars, tokenizer_kind::words, tokenizer_kind::bpe,
                           tokenizer_kind::unigram}) {
    if (name == tokenizer_kind_name(k)) {
      out = k;
      return status::ok();
    }
  }
  return status::error("unknown tokenizer kind '" + std::string(name) +
                       "': choose char, word, bpe or unigram");
}

const char* special_piece(int id) {
  static const char* const pieces[num_special_ids] = {"<pad>", "<unk>", "<sos>", "<eos>"};
  return id >= 0 && id < num_special_ids ? pieces[id] : nullptr;
}

int special_id_of(std::string_view piece) {
  for (int id = 0; id < num_special_ids; ++id)
    if (piece == special_piece(id)) return id;
  return -1;
}

// ---- byte helpers ----

namespace {

void write_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

bool read_le(std::string_view in, size_t& pos, int bytes, uint64_t& v) {
  if (in.size() - pos < static_cast<size_t>(bytes)) return false;
  v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  pos += bytes;
  return true;
}

}  // namespace

void byte_writer::u32(uint32_t v) { write_le(out, v, 4); }
void byte_writer::u64(uint64_t v) { write_le(out, v, 8); }

void byte_writer::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  out += s;
}

bool byte_reader::u32(uint32_t& v) {
  uint64_t w;
  if (!read_le(in, pos, 4, w)) return false;
  v = static_cast<uint32_t>(w);
  return true;
}

bool byte_reader::u64(uint64_t& v) { return read_le(in, pos, 8, v); }

bool byte_reader::bytes(size_t n, std::string_view& s) {
  if (in.size() - pos < n) return false;
  s = in.substr(pos, n);
  pos += n;
  return true;
}

bool byte_reader::str(std::string& s) {
  uint32_t n;
  std::string_view v;
  if (!u32(n) || !bytes(n, v)) return false;
  s.assign(v);
  return true;
}

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string tokenizer_pack(tokenizer_kind kind, std::string_view payload) {
  byte_writer w;
  w.out.reserve(tokenizer_header_bytes + payload.size() + 8);
  w.out += tokenizer_magic;
  w.u32(tokenizer_format_version);
  w.u32(kind_code(kind));
  w.u64(payload.size());
  w.out += payload;
  w.u64(fnv1a64(payload));
  return std::move(w.out);
}

uint64_t tokenizer_hash(const tokenizer& tok) { return fnv1a64(tok.serialize()); }

// ---- training ----

status tokenizer_train_config_check(const tokenizer_train_config& cfg) {
  if (cfg.inputs.empty()) return status::error("no training corpus: give at least one input file");
  if (cfg.vocab_size < 0 || (cfg.vocab_size > 0 && cfg.vocab_size <= num_special_ids))
    return status::error("vocabulary size " + std::to_string(cfg.vocab_size) +
                         " is too small: it must exceed the " + std::to_string(num_special_ids) +
                         " special ids (<pad> <unk> <sos> <eos>)");
  if (cfg.min_count < 1)
    return status::error("minimum count " + std::to_string(cfg.min_count) + " must be at least 1");
  const bool sp = cfg.kind == tokenizer_kind::bpe || cfg.kind == tokenizer_kind::unigram;
  if (sp && cfg.vocab_size > 0 && cfg.vocab_size < sp_min_vocab_size)
    return status::error(std::string("vocabulary size ") + std::to_string(cfg.vocab_size) +
                         " is too small for " + tokenizer_kind_name(cfg.kind) + ": it needs " +
                         std::to_string(num_special_ids) +
                         " special ids, the newline, 256 byte pieces and every character of the corpus "
                         "(at least " + std::to_string(sp_min_vocab_size) + "; 1000 or more is sensible)");
  return status::ok();
}

status tokenizer_train(const tokenizer_train_config& cfg, std::unique_ptr<tokenizer>& out) {
  PLUMA_TRY(tokenizer_train_config_check(cfg));
  std::string text;
  for (const auto& input : cfg.inputs) {
    std::string path, part;
    PLUMA_TRY(corpus_resolve(input, path));
    PLUMA_TRY(corpus_read(path, part));
    // Files are joined on a line break so the last line of one never runs into the next.
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += part;
  }
  switch (cfg.kind) {
    case tokenizer_kind::chars: return char_tokenizer_train(text, cfg, out);
    case tokenizer_kind::words: return word_tokenizer_train(text, cfg, out);
    case tokenizer_kind::bpe:
    case tokenizer_kind::unigram: return sp_tokenizer_train(text, cfg, out);
  }
  return status::error("unknown tokenizer kind");
}

// ---- bytes, files ----

status tokenizer_from_bytes(std::string_view bytes, std::unique_ptr<tokenizer>& out) {
  if (bytes.size() < tokenizer_magic.size() || bytes.substr(0, tokenizer_magic.size()) != tokenizer_magic)
    return status::error("not a pluma tokenizer (the bytes do not start with PLUMATOK)");
  byte_reader r{bytes, tokenizer_magic.size()};
  uint32_t version = 0, code = 0;
  uint64_t length = 0, checksum = 0;
  std::string_view payload;
  if (!r.u32(version) || !r.u32(code) || !r.u64(length))
    return status::error("truncated tokenizer: the header is incomplete");
  if (version != tokenizer_format_version)
    return status::error("tokenizer format version " + std::to_string(version) + " is not supported (this pluma reads version " +
                         std::to_string(tokenizer_format_version) + "): retrain the tokenizer with this pluma");
  tokenizer_kind kind;
  if (!kind_from_code(code, kind))
    return status::error("corrupt tokenizer: unknown kind code " + std::to_string(code));
  if (length > bytes.size() || !r.bytes(static_cast<size_t>(length), payload) || !r.u64(checksum))
    return status::error("truncated tokenizer: expected a " + std::to_string(length) + "-byte payload and its checksum, got " +
                         std::to_string(bytes.size()) + " bytes in all");
  if (!r.at_end())
    return status::error("corrupt tokenizer: " + std::to_string(bytes.size() - r.pos) + " unexpected bytes after the checksum");
  if (checksum != fnv1a64(payload))
    return status::error("corrupt tokenizer: the payload checksum does not match");
  status st;
  switch (kind) {
    case tokenizer_kind::chars: st = char_tokenizer_from_payload(payload, out); break;
    case tokenizer_kind::words: st = word_tokenizer_from_payload(payload, out); break;
    case tokenizer_kind::bpe:
    case tokenizer_kind::unigram: st = sp_tokenizer_from_payload(kind, payload, out); break;
  }
  return st.with_context(std::string("corrupt ") + tokenizer_kind_name(kind) + " tokenizer");
}

status tokenizer_save(const tokenizer& tok, const std::string& path) {
  return file_write_atomic(path, tok.serialize(), "tokenizer");
}

status tokenizer_load(const std::string& path, std::unique_ptr<tokenizer>& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return status::error("cannot read tokenizer '" + path + "': it is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) return status::error("cannot open tokenizer '" + path + "': " + std::strerror(errno));
  std::ostringstream buf;
  buf << f.rdbuf();
  return tokenizer_from_bytes(buf.str(), out).with_context("tokenizer '" + path + "'");
}

}  // namespace pluma
