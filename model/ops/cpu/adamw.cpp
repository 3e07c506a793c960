// AdamW (and Adam with an L2 term) on the CPU, in the order of PyTorch's single-tensor AdamW, so results match it closely:
// p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
#include <cmath>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {

void adamw_update(const exec_context&, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale) {
  PLUMA_CHECK(hp.step >= 1, "adamw_update: step is 1-based");
  // scalars in double, as PyTorch computes them in Python before handing floats to the kernels
  const double bc1 = 1.0 - std::pow(static_cast<double>(hp.beta1), hp.step);
  const double bc2 = 1.0 - std::pow(static_cast<double>(hp.beta2), hp.step);
  const float decay = static_cast<float>(1.0 - static_cast<double>(hp.lr) * hp.weight_decay);
  const float step_size = static_cast<float>(hp.lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float b1 = hp.beta1, b2 = hp.beta2, one_b1 = 1.0f - hp.beta1, one_b2 = 1.0f - hp.beta2;
  const float eps = hp.eps, l2 = hp.l2;
  parallel_for_range(static_cast<long>(n), static_cast<long>(n), [&](long i0, long i1) {
#pragma omp simd
    for (long i = i0; i < i1; i++) {
      const float g = grads[i] * grad_scale + l2 * params[i];
      const float p = params[i] * decay;
      const float mi = m[i] * b1 + g * one_b1;
      const float vi = v[i] * b2 + g * g * one_b2;
      m[i] = mi;
      v[i] = vi;
      params[i] = p - step_size * (mi / (std::sqrt(vi) / bc2_sqrt + eps));
    }
  });
}

}  // namespace pluma::cpu
