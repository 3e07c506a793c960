// token_view: a read-only view of token ids stored as uint16, uint32 or int32 (a shard's mapped ids,
// or a std::vector<int> in memory). Samplers read through it, so they work on either.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "model/core/check.h"

namespace pluma {

static_assert(sizeof(int) == 4, "token ids are 32-bit ints");

struct token_view {
  const void* data = nullptr;  // (count) ids of `width` bytes each, native byte order
  size_t count = 0;
  int width = 4;               // 2: uint16, 4: uint32/int32

  static token_view of(const std::vector<int>& ids) { return {ids.data(), ids.size(), 4}; }
  size_t size() const { return count; }

  int operator[](size_t i) const {
    PLUMA_CHECK(i < count, "token index out of range");
    if (width == 2) return static_cast<const uint16_t*>(data)[i];
    return static_cast<const int32_t*>(data)[i];
  }

  // out: (n) <- ids [pos, pos + n)
  void copy(size_t pos, size_t n, int32_t* out) const {
    PLUMA_CHECK(pos <= count && n <= count - pos, "token window out of range");
    if (width == 2) {
      const uint16_t* p = static_cast<const uint16_t*>(data) + pos;
      for (size_t i = 0; i < n; i++) out[i] = p[i];
    } else {
      std::memcpy(out, static_cast<const int32_t*>(data) + pos, n * sizeof(int32_t));
    }
  }
};

}  // namespace pluma
