// AdamW on the GPU: one fused kernel over the whole block (e.g. the parameter arena), the same order of
// operations as the CPU backend (PyTorch's single-tensor AdamW); the scalars are computed on the host in
// double, as there.
#include <cmath>

#include "model/ops/cuda/backend.h"
#include "model/ops/cuda/common.cuh"

namespace pluma::cuda {

namespace {

constexpr int threads = 256;

struct adamw_scalars {
  float decay;       // 1 - lr * weight_decay
  float step_size;   // lr / (1 - beta1^step)
  float bc2_sqrt;    // sqrt(1 - beta2^step)
  float b1, b2, one_b1, one_b2, eps, grad_scale, l2;
};

__global__ void adamw_kernel(float* params, const float* grads, float* m, float* v, size_t n, adamw_scalars s) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    const float g = grads[i] * s.grad_scale + s.l2 * params[i];
    const float p = params[i] * s.decay;
    const float mi = m[i] * s.b1 + g * s.one_b1;
    const float vi = v[i] * s.b2 + g * g * s.one_b2;
    m[i] = mi;
    v[i] = vi;
    params[i] = p - s.step_size * (mi / (sqrtf(vi) / s.bc2_sqrt + s.eps));
  }
}

}  // namespace

void adamw_update(const exec_context& ctx, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale) {
  PLUMA_CHECK(hp.step >= 1, "adamw_update: step is 1-based");
  if (n == 0) return;
  const double bc1 = 1.0 - std::pow(static_cast<double>(hp.beta1), hp.step);
  const double bc2 = 1.0 - std::pow(static_cast<double>(hp.beta2), hp.step);
  adamw_scalars s;
  s.decay = static_cast<float>(1.0 - static_cast<double>(hp.lr) * hp.weight_decay);
  s.step_size = static_cast<float>(hp.lr / bc1);
  s.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  s.b1 = hp.beta1;
  s.b2 = hp.beta2;
  s.one_b1 = 1.0f - hp.beta1;
  s.one_b2 = 1.0f - hp.beta2;
  s.eps = hp.eps;
  s.grad_scale = grad_scale;
  s.l2 = hp.l2;
  adamw_kernel<<<grid_for(static_cast<long>(n), threads), threads, 0, stream_of(ctx)>>>(params, grads, m, v, n, s);
  CUDA_CHECK_LAUNCH();
}

}  // namespace pluma::cuda
