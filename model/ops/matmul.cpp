// Dispatch of the matmul op to its backend.
#include "model/ops/matmul.h"

#include <atomic>

#include "model/ops/dispatch.h"
#include "model/ops/tensor_util.h"
#ifdef PLUMA_HAVE_CUDA
#include "model/ops/cuda/backend.h"
#endif

namespace pluma {

namespace {
std::atomic<bool> bf16_products{false};
}

void matmul_set_bf16(bool on) {
  bf16_products = on;
#ifdef PLUMA_HAVE_CUDA
  cuda::set_matmul_precision(on ? cuda::matmul_precision::bf16 : cuda::matmul_precision::fp32);
#endif
}

bool matmul_bf16() { return bf16_products; }

void matmul_forward(const exec_context& ctx, float* out, operand inp, operand weight, const float* bias, int N,
                    int C, int OC) {
  op_profile_scope prof("matmul_forward");
  if (ctx.dev == device::cpu) return cpu::matmul_forward(ctx, out, inp, weight, bias, N, C, OC);
  const char* what = "matmul_forward: bf16 operands on CUDA";
  PLUMA_DISPATCH_CUDA(matmul_forward, ctx, out, fp32_only(inp, what), fp32_only(weight, what), bias, N, C, OC);
}

void matmul_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                     operand inp, operand weight, int N, int C, int OC, grad_write dinp_write,
                     grad_write params_write) {
  if (ctx.dev == device::cpu) {   // the product writes or adds (oneDNN's sum post-op)
    op_profile_scope prof("matmul_backward");
    return cpu::matmul_backward(ctx, dinp, dweight, dbias, dout, inp, weight, N, C, OC, dinp_write, params_write);
  }
  // the CUDA kernels add: overwriting is adding into zeros
  zero_to_overwrite(ctx, dinp_write, dinp, long(N) * C);
  zero_to_overwrite(ctx, params_write, dweight, long(OC) * C);
  zero_to_overwrite(ctx, params_write, dbias, OC);
  op_profile_scope prof("matmul_backward");
  const char* what = "matmul_backward: bf16 operands on CUDA";
  PLUMA_DISPATCH_CUDA(matmul_backward, ctx, dinp, dweight, dbias, dout, fp32_only(inp, what), fp32_only(weight, what),
                      N, C, OC);
}

}  // namespace pluma
