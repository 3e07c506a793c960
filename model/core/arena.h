// arena: one contiguous float allocation carved into named tensors by a size table (llm.c style).
// Parameters, gradients and each AdamW moment live in their own arena with the same table,
// so zeroing, the optimizer, all-reduce and checkpointing are single loops over one block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pluma {

struct tensor_spec {
  std::string name;               // e.g. "h.0.attn.qkv.weight"
  std::vector<int64_t> shape;     // e.g. {3*C, C}
  bool decay = false;             // AdamW weight decay applies (matrices, embeddings)
  size_t offset = 0;              // in floats, filled by size_table_layout
  size_t numel() const {
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    return n;
  }
};

// Assigns offsets (each tensor aligned to 16 floats = 64 bytes) and returns the total float count.
size_t size_table_layout(std::vector<tensor_spec>& table);

class arena {
 public:
  arena() = default;
  explicit arena(size_t n_floats) { resize(n_floats); }
  ~arena();
  arena(const arena&) = delete;
  arena& operator=(const arena&) = delete;
  arena(arena&& o) noexcept;
  arena& operator=(arena&& o) noexcept;

  void resize(size_t n_floats);   // zero-filled, 64-byte aligned
  void zero();
  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return size_; }
  float* at(const tensor_spec& t) { return data_ + t.offset; }
  const float* at(const tensor_spec& t) const { return data_ + t.offset; }

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace pluma
