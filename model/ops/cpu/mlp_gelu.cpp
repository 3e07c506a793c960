// The fused MLP GELU on the CPU: forward is the fc product, then one pass that writes gelu(pre) and replaces
// pre by gelu'(pre) = Phi(pre) + pre * phi(pre); backward is the projection's backward with the input gradient
// product multiplied by gelu'(pre) and added into dpre (oneDNN post-ops: binary mul, then sum).
#include "model/ops/cpu/mlp_gelu.h"

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/bf16_round.h"
#include "model/ops/cpu/gemm_bf16.h"
#include "model/ops/cpu/matmul_bf16.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/vec_math.h"
#include "model/ops/matmul.h"

namespace pluma::cpu {

namespace {

// Elements [i0, i1) of the GELU epilogue: out = gelu(pre), and pre (in saved) replaced by gelu'(pre).
void gelu_epilogue(float* saved, operand_out out, long i0, long i1) {
  vec_for_each(i1 - i0, [&](long i, int w) {
    const long at = i0 + i;
    const vec16 x = vec_load_part(saved + at, w);
    vec16 cdf, pdf;
    vec_normal_cdf_pdf(x, cdf, pdf);
    if (out.bf16) vec_store_bf16_part(out.bf16 + at, x * cdf, w);
    else vec_store_part(out.f32 + at, x * cdf, w);
    vec_store_part(saved + at, cdf + x * pdf, w);
  });
}

}  // namespace

void matmul_gelu_forward(const exec_context& ctx, float* saved, operand_out out, operand inp, operand weight,
                         const float* bias, int N, int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_gelu_forward: bad dimensions");
  PLUMA_CHECK(!(inp.is_bf16() || weight.is_bf16()) || matmul_bf16(),
              "matmul_gelu_forward: bf16 operands without bf16 products");
  // On two threads each half of the rows has its product and its epilogue on one core, which holds the rows.
  if (N > 0 && gemm_rows_side_by_side(N, C, OC, [&](int64_t r0, int64_t r1) {
        matmul_rows_gemm(saved, inp, weight, bias, r0, r1, C, OC);
        gelu_epilogue(saved, out, long(r0) * OC, long(r1) * OC);
      }))
    return;
  cpu::matmul_forward(ctx, saved, inp, weight, bias, N, C, OC);
  const long n = long(N) * OC;
  parallel_for_range(n, n, [&](long i0, long i1) { gelu_epilogue(saved, out, i0, i1); });
}

void gelu_matmul_backward(const exec_context&, float* dpre, float* dweight, float* dbias, const float* dout,
                          const float* saved, operand gelu_out, operand weight, int N, int C, int OC,
                          grad_write dpre_write, grad_write params_write) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "gelu_matmul_backward: bad dimensions");
  PLUMA_CHECK(!(gelu_out.is_bf16() || weight.is_bf16()) || matmul_bf16(),
              "gelu_matmul_backward: bf16 operands without bf16 products");
  if (N == 0) return matmul_backward_no_rows(dweight, dbias, C, OC, params_write);
  const matmul_backward_descs d = matmul_backward_gemms(N, C, OC, dpre_write, params_write);
  const uint16_t* dout16 = d.dinp.bf16 ? bf16_copy(dout, size_t(N) * OC) : nullptr;
  // dpre (+)= (dout · weight) ⊙ gelu'(pre), and dweight, side by side on two threads (the same size)
  gemm_side_by_side(
      int64_t(N) * C * OC, [&] { gemm_mul(d.dinp, dout, dout16, weight.f32, weight.bf16, saved, dpre); },
      [&] { gemm(d.dweight, dout, dout16, gelu_out.f32, gelu_out.bf16, nullptr, dweight); });
  if (dbias) column_sums(dbias, dout, N, OC, params_write == grad_write::overwrite);
}

}  // namespace pluma::cpu
