// checkpoint: the one-file .pluma format, in the safetensors layout:
//   8-byte little-endian header length | JSON header | raw tensor bytes
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// start of the data section) and holds "__metadata__": a map of string -> string; pluma stores JSON documents
// as those strings ("format": "pluma-1", "config", "tokenizer", "training"). Python's safetensors can read it.
// Written to PATH.tmp, flushed, then renamed over PATH, so a crash never leaves a half checkpoint.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/core/status.h"

namespace pluma {

enum class tensor_dtype { f32, u8, i64 };

struct checkpoint_tensor {
  std::string name;
  tensor_dtype dtype = tensor_dtype::f32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;                   // raw little-endian data

  const float* f32() const { return reinterpret_cast<const float*>(bytes.data()); }
};

struct checkpoint {
  std::map<std::string, std::string> metadata;  // string -> string (JSON documents as strings)
  std::vector<checkpoint_tensor> tensors;

  const checkpoint_tensor* find(const std::string& name) const;
  void add_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data);
  void add_u8(const std::string& name, const std::string& data);
};

// Tensor names under these prefixes are read only by a resumed training (train/trainer.cpp writes them): the
// optimizer's moments, and the loop's own state (the latest parameters kept beside the best, an LSTM's carried
// state). Sampling, scoring, translating and serving skip them: pass checkpoint_for_use as `wanted` below.
inline constexpr const char* checkpoint_optimizer_prefix = "optimizer.";
inline constexpr const char* checkpoint_training_prefix = "training.";
inline bool checkpoint_for_use(const std::string& name) {
  return name.rfind(checkpoint_optimizer_prefix, 0) != 0 && name.rfind(checkpoint_training_prefix, 0) != 0;
}

status checkpoint_write(const std::string& path, const checkpoint& ck);
// Validates the header against the file size and every tensor's byte range; a truncated or corrupt file
// gives a clear error, never a crash. With `wanted`, only the tensors it accepts by name are read (the others
// are validated, not loaded: a sampling process skips the optimizer's moments).
status checkpoint_read(const std::string& path, checkpoint& out,
                       const std::function<bool(const std::string&)>& wanted = nullptr);

}  // namespace pluma
