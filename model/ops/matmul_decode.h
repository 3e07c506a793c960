// matmul for decoding with bfloat16 weights: out = inp · weightᵀ + bias for a handful of rows (one position per
// sequence), the weight stored once in bfloat16 (tensor_to_bf16's bits) so a step streams half the bytes. The
// input rows are rounded to bfloat16 too; products are summed in fp32. CPU only (--precision bf16 decoding).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/core/exec.h"

namespace pluma {

// out: (N, OC); inp: (N, C); weight16: (OC, C) bfloat16 bits; bias: (OC) or nullptr. Meant for small N (a
// batch of sequences at one position each): the weights are streamed once per input row.
void matmul_rows_bf16w(const exec_context& ctx, float* out, const float* inp, const uint16_t* weight16,
                       const float* bias, int N, int C, int OC);

// The bfloat16 copies of some of a model's matrices, made once when decoding starts: one buffer, each copy
// found again by the order it was added in.
class bf16_matrices {
 public:
  void add(const float* m, size_t n);   // appends the bf16 bits of m: (n), host memory
  const uint16_t* operator[](size_t k) const { return bits_.data() + at_[k]; }
  bool empty() const { return at_.empty(); }

 private:
  std::vector<uint16_t> bits_;
  std::vector<size_t> at_;
};

}  // namespace pluma
