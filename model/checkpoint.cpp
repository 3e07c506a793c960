// checkpoint: writing and validating the .pluma file (safetensors layout). See checkpoint.h.
#include "model/checkpoint.h"

#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

namespace pluma {

static_assert(std::endian::native == std::endian::little, "the .pluma format is little-endian");

namespace {

using json = nlohmann::json;

constexpr uint64_t max_header_bytes = 100u << 20;   // a header is a few KB; refuse absurd lengths

const char* dtype_name(tensor_dtype d) {
  switch (d) {
    case tensor_dtype::f32: return "F32";
    case tensor_dtype::u8: return "U8";
    case tensor_dtype::i64: return "I64";
  }
  return "?";
}

size_t dtype_size(tensor_dtype d) {
  switch (d) {
    case tensor_dtype::f32: return 4;
    case tensor_dtype::u8: return 1;
    case tensor_dtype::i64: return 8;
  }
  return 0;
}

bool dtype_parse(const std::string& s, tensor_dtype& out) {
  for (tensor_dtype d : {tensor_dtype::f32, tensor_dtype::u8, tensor_dtype::i64}) {
    if (s == dtype_name(d)) {
      out = d;
      return true;
    }
  }
  return false;
}

// Element count of a shape, or false on overflow.
bool shape_bytes(const std::vector<int64_t>& shape, size_t elem, uint64_t& out) {
  uint64_t n = elem;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d)) return false;
    n *= static_cast<uint64_t>(d);
  }
  out = n;
  return true;
}

std::string errno_text() { return std::strerror(errno); }

status write_all(std::FILE* f, const void* data, size_t n, const std::string& path) {
  if (n > 0 && std::fwrite(data, 1, n, f) != n)
    return status::error("cannot write checkpoint " + path + ": " + errno_text() + " (is the disk full?)");
  return status::ok();
}

struct parsed_entry {
  checkpoint_tensor t;
  uint64_t begin = 0, end = 0;
};

// Validates one header entry (everything but the data range against the file).
status parse_entry(const std::string& name, const json& v, parsed_entry& out) {
  const std::string where = "tensor '" + name + "'";
  if (!v.is_object()) return status::error(where + " is not described by a JSON object");
  auto dt = v.find("dtype");
  if (dt == v.end()) return status::error(where + " has no dtype");
  if (!dt->is_string() || !dtype_parse(dt->get<std::string>(), out.t.dtype))
    return status::error(where + " has dtype " + dt->dump() + ", which pluma does not read (F32, U8, I64)");
  auto sh = v.find("shape");
  if (sh == v.end()) return status::error(where + " has no shape");
  if (!sh->is_array()) return status::error(where + " has a shape that is not a list");
  for (const auto& d : *sh) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return status::error(where + " has a shape entry " + d.dump() + " that is not a non-negative integer");
    out.t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }
  auto off = v.find("data_offsets");
  if (off == v.end()) return status::error(where + " has no data_offsets");
  if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
    return status::error(where + " has data_offsets " + off->dump() + "; expected [begin, end] byte offsets");
  out.begin = (*off)[0].get<uint64_t>();
  out.end = (*off)[1].get<uint64_t>();
  if (out.end < out.begin)
    return status::error(where + " has data_offsets [" + std::to_string(out.begin) + ", " +
                         std::to_string(out.end) + "] that end before they begin");
  uint64_t want = 0;
  if (!shape_bytes(out.t.shape, dtype_size(out.t.dtype), want))
    return status::error(where + " has a shape " + sh->dump() + " too large to exist");
  if (want != out.end - out.begin)
    return status::error(where + " has shape " + sh->dump() + " of " + dtype_name(out.t.dtype) + " (" +
                         std::to_string(want) + " bytes) but data_offsets span " +
                         std::to_string(out.end - out.begin) + " bytes");
  out.t.name = name;
  return status::ok();
}

// An open checkpoint file: its size, and reads of byte ranges that fail with a message.
class checkpoint_file {
 public:
  explicit checkpoint_file(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "rb")) {}
  ~checkpoint_file() {
    if (f_) std::fclose(f_);
  }
  checkpoint_file(const checkpoint_file&) = delete;
  checkpoint_file& operator=(const checkpoint_file&) = delete;

  status open_size(uint64_t& size) {
    if (!f_) return status::error("cannot open checkpoint " + path_ + ": " + errno_text());
    struct stat st {};
    if (::fstat(fileno(f_), &st) != 0 || !S_ISREG(st.st_mode))
      return status::error("cannot read checkpoint " + path_ + ": not a regular file");
    size = static_cast<uint64_t>(st.st_size);
    return status::ok();
  }
  status read(uint64_t offset, void* into, uint64_t n) {
    if (n == 0) return status::ok();
    if (::fseeko(f_, static_cast<off_t>(offset), SEEK_SET) != 0 || std::fread(into, 1, n, f_) != n)
      return status::error("cannot read checkpoint " + path_ + ": " +
                           (std::ferror(f_) ? errno_text() : std::string("the file ended early (changed while read?)")));
    return status::ok();
  }

 private:
  std::string path_;
  std::FILE* f_;
};

}  // namespace

const checkpoint_tensor* checkpoint::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

void checkpoint::add_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
  checkpoint_tensor t;
  t.name = name;
  t.dtype = tensor_dtype::f32;
  t.shape = shape;
  uint64_t bytes = 0;
  shape_bytes(shape, sizeof(float), bytes);
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  t.bytes.assign(p, p + bytes);
  tensors.push_back(std::move(t));
}

void checkpoint::add_u8(const std::string& name, const std::string& data) {
  checkpoint_tensor t;
  t.name = name;
  t.dtype = tensor_dtype::u8;
  t.shape = {static_cast<int64_t>(data.size())};
  t.bytes.assign(data.begin(), data.end());
  tensors.push_back(std::move(t));
}

status checkpoint_write(const std::string& path, const checkpoint& ck) {
  json header = json::object();
  json meta = json::object();
  for (const auto& [k, v] : ck.metadata) meta[k] = v;
  if (!meta.empty()) header["__metadata__"] = meta;
  uint64_t offset = 0;
  for (const auto& t : ck.tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      return status::error("cannot write checkpoint " + path + ": invalid tensor name '" + t.name + "'");
    if (header.contains(t.name))
      return status::error("cannot write checkpoint " + path + ": tensor '" + t.name + "' appears twice");
    uint64_t want = 0;
    if (!shape_bytes(t.shape, dtype_size(t.dtype), want) || want != t.bytes.size())
      return status::error("cannot write checkpoint " + path + ": tensor '" + t.name + "' holds " +
                           std::to_string(t.bytes.size()) + " bytes, its shape needs " + std::to_string(want));
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + want}}};
    offset += want;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');   // data starts 8-byte aligned, as safetensors writes it
  uint64_t header_len = text.size();

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return status::error("cannot create checkpoint " + tmp + ": " + errno_text());
  status st = write_all(f, &header_len, 8, tmp);
  if (st) st = write_all(f, text.data(), text.size(), tmp);
  for (const auto& t : ck.tensors)
    if (st) st = write_all(f, t.bytes.data(), t.bytes.size(), tmp);
  if (st && (std::fflush(f) != 0 || ::fsync(fileno(f)) != 0))
    st = status::error("cannot flush checkpoint " + tmp + ": " + errno_text());
  if (std::fclose(f) != 0 && st) st = status::error("cannot close checkpoint " + tmp + ": " + errno_text());
  if (st && std::rename(tmp.c_str(), path.c_str()) != 0)
    st = status::error("cannot rename " + tmp + " to " + path + ": " + errno_text());
  if (!st) std::remove(tmp.c_str());
  return st;
}

status checkpoint_read(const std::string& path, checkpoint& out,
                       const std::function<bool(const std::string&)>& wanted) {
  checkpoint_file file(path);
  uint64_t file_size = 0;
  PLUMA_TRY(file.open_size(file_size));
  const std::string what = "checkpoint " + path;
  if (file_size < 8)
    return status::error(what + " is too short (" + std::to_string(file_size) +
                         " bytes): a .pluma file starts with an 8-byte header length");
  uint64_t header_len = 0;
  PLUMA_TRY(file.read(0, &header_len, 8));
  if (header_len > max_header_bytes)
    return status::error(what + " is corrupt: its header length " + std::to_string(header_len) +
                         " is implausible (not a .pluma file?)");
  if (header_len > file_size - 8)
    return status::error(what + " is truncated: header says " + std::to_string(header_len) +
                         " bytes of header, file has " + std::to_string(file_size - 8) + " after the length");
  std::string header_text(header_len, '\0');
  PLUMA_TRY(file.read(8, header_text.data(), header_len));
  const char* hbegin = header_text.data();
  json header = json::parse(hbegin, hbegin + header_len, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return status::error(what + " is corrupt: its header is not a JSON object");

  checkpoint ck;
  std::vector<parsed_entry> entries;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) return status::error(what + " is corrupt: __metadata__ is not a JSON object");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string())
          return status::error(what + " is corrupt: __metadata__ entry '" + k + "' is not a string");
        ck.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    parsed_entry e;
    PLUMA_TRY(parse_entry(name, v, e).with_context(what + " is corrupt"));
    entries.push_back(std::move(e));
  }

  std::sort(entries.begin(), entries.end(), [](const parsed_entry& a, const parsed_entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const uint64_t data_len = file_size - 8 - header_len;
  uint64_t data_end = 0;
  for (size_t i = 0; i < entries.size(); i++) {
    if (i > 0 && entries[i].begin < entries[i - 1].end)
      return status::error(what + " is corrupt: tensors '" + entries[i - 1].t.name + "' and '" + entries[i].t.name +
                           "' overlap");
    data_end = std::max(data_end, entries[i].end);
  }
  if (data_end > data_len)
    return status::error(what + " is truncated: header says " + std::to_string(data_end) +
                         " bytes of tensors, file has " + std::to_string(data_len));

  // each wanted tensor read straight into its own bytes: no copy of the whole file
  for (auto& e : entries) {
    if (wanted && !wanted(e.t.name)) continue;
    e.t.bytes.resize(e.end - e.begin);
    PLUMA_TRY(file.read(8 + header_len + e.begin, e.t.bytes.data(), e.end - e.begin));
    ck.tensors.push_back(std::move(e.t));
  }
  out = std::move(ck);
  return status::ok();
}

}  // namespace pluma
