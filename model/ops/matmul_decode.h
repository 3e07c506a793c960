// matmul for decoding: out = inp · weightᵀ + bias for a handful of rows (one position per sequence), the weight
// read from a copy packed once when decoding starts (cpu/matmul_panels.h: panels of 16 outputs, read front to
// back in one stream), in fp32 or, under --precision bf16, in bfloat16 (half the bytes; the input rows are
// rounded to bfloat16 too and products summed in fp32). CPU only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/core/arena.h"
#include "model/core/exec.h"

namespace pluma {

// One packed matrix of (rows, cols): exactly one of f32 and bf16 is set.
struct decode_matrix {
  const float* f32 = nullptr;
  const uint16_t* bf16 = nullptr;
  int rows = 0, cols = 0;
};

// out: (N, w.rows) = inp: (N, w.cols) · Wᵀ + bias (w.rows, or nullptr). Meant for small N (a batch of sequences
// at one position each): the weights are streamed once per call.
void matmul_decode(const exec_context& ctx, float* out, const float* inp, const decode_matrix& w, const float* bias,
                   int N);

// The packed copies of some of a model's matrices, in one 64-byte aligned buffer; each found again by the order
// it was given in.
class decode_matrices {
 public:
  struct source {
    const float* m;   // (rows, cols), host memory; or, with m2, its first m_cols columns (rows, m_cols)
    int rows, cols;
    const float* m2 = nullptr;   // the other cols - m_cols columns (rows, cols - m_cols), beside m's
    int m_cols = 0;
  };
  decode_matrices() = default;
  decode_matrices(const std::vector<source>& matrices, bool bf16);
  decode_matrix operator[](size_t k) const { return at_[k]; }
  size_t size() const { return at_.size(); }
  bool bf16() const { return bf16_; }

 private:
  arena memory_;
  std::vector<decode_matrix> at_;
  bool bf16_ = false;
};

}  // namespace pluma
