// matmul on the CPU through oneDNN (cpu/gemm.h): one primitive per (shape, kind), created once and reused.
// With matmul_set_bf16(true) the products take bf16 operands (fp32 accumulation), forward and backward, rounded
// here or given as the caller's bf16 copies (model/ops/operand.h); the few-rows path of fp32 operands stays fp32.
// Backward writes the gradients or accumulates straight into them with oneDNN's sum post-op (no temporaries).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/gemm_bf16.h"
#include "model/ops/cpu/matmul_bf16.h"
#include "model/ops/cpu/matmul_rows.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/matmul.h"
#include "model/ops/operand.h"

namespace pluma::cpu {
namespace {

// out (M, N) [+]= A (M, K) · B (K, N) [+ bias], A stored (M, K) row-major or, when a_trans, as (K, M);
// B likewise (K, N) or, when b_trans, (N, K).
gemm_desc plain_gemm(int M, int K, int N, bool a_trans, bool b_trans, bool bias, bool accumulate) {
  gemm_desc d;
  d.bf16 = matmul_bf16();
  d.M = M, d.K = K, d.N = N;
  set_plain(d.a_strides, a_trans ? M : K, a_trans);
  set_plain(d.b_strides, b_trans ? K : N, b_trans);
  set_plain(d.c_strides, N, false);
  d.bias = bias;
  d.accumulate = accumulate;
  return d;
}

}  // namespace

const uint16_t* bf16_copy(const float* x, size_t n) {
  thread_local std::vector<uint16_t> buf;   // grown, then reused
  if (buf.size() < n) buf.resize(n);
  to_bf16(buf.data(), x, n);
  return buf.data();
}

matmul_backward_descs matmul_backward_gemms(int N, int C, int OC, grad_write dinp_write, grad_write params_write) {
  // dout read as a transposed (OC, N) for dweight
  return {plain_gemm(N, OC, C, false, false, false, dinp_write == grad_write::add),
          plain_gemm(OC, N, C, true, false, false, params_write == grad_write::add)};
}

void matmul_backward_no_rows(float* dweight, float* dbias, int C, int OC, grad_write params_write) {
  if (params_write == grad_write::add) return;
  std::fill_n(dweight, long(OC) * C, 0.0f);
  if (dbias) std::fill_n(dbias, OC, 0.0f);
}

void matmul_forward(const exec_context&, float* out, operand inp, operand weight, const float* bias, int N,
                    int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_forward: bad dimensions");
  const bool copies = inp.is_bf16() || weight.is_bf16();
  PLUMA_CHECK(!copies || matmul_bf16(), "matmul_forward: bf16 operands without bf16 products");
  if (N == 0) return;
  // a few rows of fp32 operands: the rows kernel (fp32 products, decoding's path)
  if (!copies && N <= matmul_rows_max) return matmul_rows(out, inp.f32, weight.f32, bias, N, C, OC);
  // out (N, OC) = inp (N, C) · weightᵀ, weight (OC, C) read as a transposed (C, OC); on two threads two halves
  // of the rows side by side
  const auto rows = [&](int64_t r0, int64_t r1) { matmul_rows_gemm(out, inp, weight, bias, r0, r1, C, OC); };
  if (!gemm_rows_side_by_side(N, C, OC, rows)) rows(0, N);
}

void matmul_rows_gemm(float* out, operand inp, operand weight, const float* bias, int64_t r0, int64_t r1, int C,
                      int OC) {
  const operand in = inp.offset(r0 * C);
  gemm(plain_gemm(int(r1 - r0), C, OC, false, true, bias != nullptr, false), in.f32, in.bf16, weight.f32,
       weight.bf16, bias, out + r0 * OC);
}

void matmul_backward(const exec_context&, float* dinp, float* dweight, float* dbias, const float* dout,
                     operand inp, operand weight, int N, int C, int OC, grad_write dinp_write,
                     grad_write params_write) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_backward: bad dimensions");
  PLUMA_CHECK(!(inp.is_bf16() || weight.is_bf16()) || matmul_bf16(),
              "matmul_backward: bf16 operands without bf16 products");
  if (N == 0) return matmul_backward_no_rows(dweight, dbias, C, OC, params_write);
  // With bf16 products dout is rounded once for both.
  const matmul_backward_descs d = matmul_backward_gemms(N, C, OC, dinp_write, params_write);
  const uint16_t* dout16 = d.dweight.bf16 ? bf16_copy(dout, size_t(N) * OC) : nullptr;
  auto dweight_product = [&] { gemm(d.dweight, dout, dout16, inp.f32, inp.bf16, nullptr, dweight); };
  if (dinp)   // the two products are the same size (N * C * OC multiply-adds): side by side on two threads
    gemm_side_by_side(
        int64_t(N) * C * OC, [&] { gemm(d.dinp, dout, dout16, weight.f32, weight.bf16, nullptr, dinp); },
        dweight_product);
  else
    dweight_product();
  // dbias (OC) (+)= column sums of dout
  if (dbias) column_sums(dbias, dout, N, OC, params_write == grad_write::overwrite);
}

void matmul_forward_reference(float* out, const float* inp, const float* weight, const float* bias, int N,
                              int C, int OC) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    for (int o = 0; o < OC; o++) {
      double acc = bias ? bias[o] : 0.0;
      for (int c = 0; c < C; c++) acc += static_cast<double>(inp[(long)n * C + c]) * weight[(long)o * C + c];
      out[(long)n * OC + o] = static_cast<float>(acc);
    }
  }
}

void matmul_backward_reference(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, int N, int C, int OC) {
  if (dinp) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
      for (int c = 0; c < C; c++) {
        double acc = 0.0;
        for (int o = 0; o < OC; o++) acc += static_cast<double>(dout[(long)n * OC + o]) * weight[(long)o * C + c];
        dinp[(long)n * C + c] += static_cast<float>(acc);
      }
    }
  }
#pragma omp parallel for schedule(static)
  for (int o = 0; o < OC; o++) {
    for (int c = 0; c < C; c++) {
      double acc = 0.0;
      for (int n = 0; n < N; n++) acc += static_cast<double>(dout[(long)n * OC + o]) * inp[(long)n * C + c];
      dweight[(long)o * C + c] += static_cast<float>(acc);
    }
    if (dbias) {
      double acc = 0.0;
      for (int n = 0; n < N; n++) acc += dout[(long)n * OC + o];
      dbias[o] += static_cast<float>(acc);
    }
  }
}

}  // namespace pluma::cpu
