#include "data/shard.h"

#include <bit>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pluma {

static_assert(std::endian::native == std::endian::little, "shards are little-endian; this build assumes a little-endian host");

namespace {

struct shard_header {
  char magic[8];
  uint32_t version;
  uint32_t id_bytes;
  uint64_t tok_hash;
  uint64_t vocab_size;
  uint64_t count;
  unsigned char reserved[24];
};
static_assert(sizeof(shard_header) == shard_header_bytes, "shard header is 64 bytes");

int id_bytes_for_vocab(uint64_t vocab_size) { return vocab_size <= 65536 ? 2 : 4; }

std::string errno_text() { return std::strerror(errno); }

// Index of the first id >= vocab, or ids.count when all are inside the vocabulary.
size_t first_id_outside(const token_view& ids, uint32_t vocab) {
  if (ids.width == 2) {
    const auto* p = static_cast<const uint16_t*>(ids.data);   // (N)
    for (size_t i = 0; i < ids.count; i++)
      if (p[i] >= vocab) return i;
  } else {
    const auto* p = static_cast<const uint32_t*>(ids.data);   // (N)
    for (size_t i = 0; i < ids.count; i++)
      if (p[i] >= vocab) return i;
  }
  return ids.count;
}

}  // namespace

status shard_write(const std::string& path, const std::vector<int>& ids, uint64_t tok_hash, int vocab_size) {
  if (vocab_size <= 0)
    return status::error("cannot write shard '" + path + "': vocab size " + std::to_string(vocab_size) +
                         " must be positive");
  for (size_t i = 0; i < ids.size(); i++)
    if (ids[i] < 0 || ids[i] >= vocab_size)
      return status::error("cannot write shard '" + path + "': token " + std::to_string(i) + " has id " +
                           std::to_string(ids[i]) + ", outside the vocabulary [0, " +
                           std::to_string(vocab_size) + ")");
  shard_header h{};
  std::memcpy(h.magic, shard_magic, sizeof h.magic);
  h.version = shard_version;
  h.id_bytes = static_cast<uint32_t>(id_bytes_for_vocab(static_cast<uint64_t>(vocab_size)));
  h.tok_hash = tok_hash;
  h.vocab_size = static_cast<uint64_t>(vocab_size);
  h.count = ids.size();

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return status::error("cannot create shard '" + tmp + "': " + errno_text());
  bool ok = std::fwrite(&h, sizeof h, 1, f) == 1;
  if (h.id_bytes == 2) {
    std::vector<uint16_t> narrow(ids.begin(), ids.end());
    ok = ok && (narrow.empty() || std::fwrite(narrow.data(), 2, narrow.size(), f) == narrow.size());
  } else {
    ok = ok && (ids.empty() || std::fwrite(ids.data(), 4, ids.size(), f) == ids.size());
  }
  ok = ok && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const std::string write_error = ok ? "" : errno_text();
  if (std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::remove(tmp.c_str());
    return status::error("error writing shard '" + tmp + "': " + (write_error.empty() ? "close failed" : write_error) +
                         " (is the disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    std::remove(tmp.c_str());
    return status::error("cannot rename '" + tmp + "' to '" + path + "': " + why);
  }
  return status::ok();
}

shard::~shard() { unmap(); }

void shard::unmap() {
  if (map_) ::munmap(map_, map_bytes_);
  map_ = nullptr;
  map_bytes_ = 0;
  ids_ = token_view{};
}

shard::shard(shard&& o) noexcept { *this = std::move(o); }

shard& shard::operator=(shard&& o) noexcept {
  if (this != &o) {
    unmap();
    map_ = o.map_;
    map_bytes_ = o.map_bytes_;
    ids_ = o.ids_;
    vocab_size_ = o.vocab_size_;
    tok_hash_ = o.tok_hash_;
    path_ = std::move(o.path_);
    o.map_ = nullptr;
    o.map_bytes_ = 0;
    o.ids_ = token_view{};
  }
  return *this;
}

status shard::open(const std::string& path, shard& out) {
  out.unmap();
  auto fail = [&](const std::string& what) { return status::error("token shard '" + path + "': " + what); };

  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) return fail("not found; create it with `pluma prepare`");
    return fail("cannot open: " + errno_text());
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    std::string why = errno_text();
    ::close(fd);
    return fail("cannot stat: " + why);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail("is a directory, not a shard file");
  }
  const size_t bytes = static_cast<size_t>(st.st_size);
  if (bytes < shard_header_bytes) {
    ::close(fd);
    return fail("file of " + std::to_string(bytes) + " bytes is too small for the " +
                std::to_string(shard_header_bytes) + "-byte shard header (truncated or not a shard)");
  }
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  std::string map_error = map == MAP_FAILED ? errno_text() : "";
  ::close(fd);
  if (map == MAP_FAILED) return fail("cannot memory-map: " + map_error);
  // From here `out` owns the mapping, so every early return below unmaps it.
  out.map_ = map;
  out.map_bytes_ = bytes;
  out.path_ = path;
  auto reject = [&](const std::string& what) {
    out.unmap();
    return fail(what);
  };

  shard_header h;
  std::memcpy(&h, map, sizeof h);
  if (std::memcmp(h.magic, shard_magic, sizeof h.magic) != 0)
    return reject("not a pluma token shard (bad magic; expected \"PLMSHARD\")");
  if (h.version != shard_version)
    return reject("shard version " + std::to_string(h.version) + " is not supported (this build reads version " +
                  std::to_string(shard_version) + "); re-run `pluma prepare`");
  if (h.vocab_size == 0 || h.vocab_size > static_cast<uint64_t>(INT_MAX))
    return reject("header has an impossible vocab size " + std::to_string(h.vocab_size) + " (corrupt header)");
  if (h.id_bytes != static_cast<uint32_t>(id_bytes_for_vocab(h.vocab_size)))
    return reject("header says " + std::to_string(h.id_bytes) + " bytes per id, but a vocab of " +
                  std::to_string(h.vocab_size) + " needs " + std::to_string(id_bytes_for_vocab(h.vocab_size)) +
                  " (corrupt header)");
  const size_t payload = bytes - shard_header_bytes;
  if (h.count > payload / h.id_bytes || h.count * h.id_bytes != payload)
    return reject("header says " + std::to_string(h.count) + " tokens (" + std::to_string(h.id_bytes) +
                  " bytes each) but the file holds " + std::to_string(payload) +
                  " bytes of ids (truncated or corrupt); re-run `pluma prepare`");

  out.ids_ = token_view{static_cast<const unsigned char*>(map) + shard_header_bytes,
                        static_cast<size_t>(h.count), static_cast<int>(h.id_bytes)};
  out.vocab_size_ = static_cast<int>(h.vocab_size);
  out.tok_hash_ = h.tok_hash;
  // Every id must index the vocabulary: a bad id would otherwise surface as a crash in an embedding.
  const size_t bad = first_id_outside(out.ids_, static_cast<uint32_t>(out.vocab_size_));
  if (bad != out.ids_.count)
    return reject("token " + std::to_string(bad) + " has id " +
                  std::to_string(static_cast<uint32_t>(out.ids_[bad])) + ", outside the vocabulary [0, " +
                  std::to_string(out.vocab_size_) + ") (corrupt file)");
  return status::ok();
}

status shard::expect_tokenizer(uint64_t tok_hash, int vocab_size) const {
  if (tok_hash == tok_hash_ && vocab_size == vocab_size_) return status::ok();
  char want[32], have[32];
  std::snprintf(want, sizeof want, "%016llx", static_cast<unsigned long long>(tok_hash));
  std::snprintf(have, sizeof have, "%016llx", static_cast<unsigned long long>(tok_hash_));
  return status::error("token shard '" + path_ + "' was made with another tokenizer (hash " + have + ", vocab " +
                       std::to_string(vocab_size_) + ") than the one in use (hash " + want + ", vocab " +
                       std::to_string(vocab_size) + "); re-run `pluma prepare` with this tokenizer");
}

}  // namespace pluma
