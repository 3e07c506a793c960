// Dispatch of the decoding matmuls (CPU only), and the packing of their weights.
#include "model/ops/matmul_decode.h"

#include "model/ops/cpu/matmul_panels.h"
#include "model/ops/dispatch.h"

namespace pluma {

void matmul_decode(const exec_context& ctx, float* out, const float* inp, const decode_matrix& w, const float* bias,
                   int N) {
  PLUMA_DISPATCH_CPU_ONLY(matmul_decode, ctx, out, inp, w, bias, N);
}

decode_matrices::decode_matrices(const std::vector<source>& matrices, bool bf16) : bf16_(bf16) {
  size_t total = 0;   // in elements (floats, or bf16 values); each copy a whole number of 64 bytes
  for (const source& s : matrices) total += cpu::panels_size(s.rows, s.cols, bf16);
  memory_.resize(bf16 ? total / 2 : total);   // zero-filled: the packing's padding

  size_t at = 0;
  for (const source& s : matrices) {
    decode_matrix d;
    d.rows = s.rows;
    d.cols = s.cols;
    const cpu::panel_source w{s.m, s.m2 ? s.m_cols : s.cols, s.m2};
    if (bf16) {
      auto* dst = reinterpret_cast<uint16_t*>(memory_.data()) + at;
      cpu::pack_panels_bf16(dst, w, s.rows, s.cols);
      d.bf16 = dst;
    } else {
      float* dst = memory_.data() + at;
      cpu::pack_panels(dst, w, s.rows, s.cols);
      d.f32 = dst;
    }
    at += cpu::panels_size(s.rows, s.cols, bf16);
    at_.push_back(d);
  }
}

}  // namespace pluma
