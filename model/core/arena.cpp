#include "model/core/arena.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace pluma {

size_t size_table_layout(std::vector<tensor_spec>& table) {
  size_t off = 0;
  for (auto& t : table) {
    t.offset = off;
    off += (t.numel() + 15) / 16 * 16;
  }
  return off;
}

arena::~arena() { std::free(data_); }

arena::arena(arena&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

arena& arena::operator=(arena&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void arena::resize(size_t n) {
  std::free(data_);
  data_ = nullptr;
  size_ = n;
  if (n == 0) return;
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!data_) throw std::bad_alloc();
  std::memset(data_, 0, bytes);
}

void arena::zero() {
  if (data_) std::memset(data_, 0, size_ * sizeof(float));
}

}  // namespace pluma
