// shard: a corpus encoded once into token ids, in a versioned file that is memory-mapped to read.
//
// Layout (little-endian), 64-byte header then the ids:
//   0  char[8]  magic "PLMSHARD"
//   8  uint32   version (1)
//  12  uint32   bytes per id: 2 (uint16) when vocab_size <= 65536, else 4 (uint32)
//  16  uint64   tokenizer hash (tokenizer_hash of the tokenizer that made the ids)
//  24  uint64   vocab size
//  32  uint64   token count N
//  40  zeros    up to byte 64
//  64  ids      (N) of the width above
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/token_view.h"
#include "model/core/status.h"

namespace pluma {

constexpr char shard_magic[8] = {'P', 'L', 'M', 'S', 'H', 'A', 'R', 'D'};
constexpr uint32_t shard_version = 1;
constexpr size_t shard_header_bytes = 64;

// Writes `ids` (each in [0, vocab_size)) to path.tmp, flushes it to disk and renames it to `path`,
// so a crash never leaves a half shard under the final name.
status shard_write(const std::string& path, const std::vector<int>& ids, uint64_t tok_hash, int vocab_size);

class shard {
 public:
  shard() = default;
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;
  shard(shard&& o) noexcept;
  shard& operator=(shard&& o) noexcept;

  // Maps the file read-only and checks it against its header: magic, version, id width, file size,
  // and that every id is below the vocabulary size. Errors name the file and what is wrong.
  static status open(const std::string& path, shard& out);

  // Refuses a shard made by another tokenizer than the one about to be used.
  status expect_tokenizer(uint64_t tok_hash, int vocab_size) const;

  size_t size() const { return ids_.count; }
  int vocab_size() const { return vocab_size_; }
  uint64_t tokenizer_hash() const { return tok_hash_; }
  int id_width() const { return ids_.width; }       // 2 or 4 bytes
  const std::string& path() const { return path_; }
  int operator[](size_t i) const { return ids_[i]; }
  // out: (n) <- ids [pos, pos + n); pos + n <= size()
  void copy(size_t pos, size_t n, int32_t* out) const { ids_.copy(pos, n, out); }
  token_view view() const { return ids_; }

 private:
  void unmap();
  void* map_ = nullptr;      // the whole file
  size_t map_bytes_ = 0;
  token_view ids_;           // (N) ids inside map_
  int vocab_size_ = 0;
  uint64_t tok_hash_ = 0;
  std::string path_;
};

}  // namespace pluma
