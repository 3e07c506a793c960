// AdamW (and Adam with an L2 term) on the CPU, in the order of PyTorch's single-tensor AdamW, so results match it closely:
// p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
#include <algorithm>
#include <cmath>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {

namespace {

// One set of hyper-parameters as the update uses them: scalars in double, as PyTorch computes them in Python
// before handing floats to the kernels.
struct adamw_consts {
  float decay, step_size, bc2_sqrt, b1, b2, one_b1, one_b2, eps, l2;
  explicit adamw_consts(const adamw_params& hp) {
    PLUMA_CHECK(hp.step >= 1, "adamw_update: step is 1-based");
    const double bc1 = 1.0 - std::pow(static_cast<double>(hp.beta1), hp.step);
    const double bc2 = 1.0 - std::pow(static_cast<double>(hp.beta2), hp.step);
    decay = static_cast<float>(1.0 - static_cast<double>(hp.lr) * hp.weight_decay);
    step_size = static_cast<float>(hp.lr / bc1);
    bc2_sqrt = static_cast<float>(std::sqrt(bc2));
    b1 = hp.beta1, b2 = hp.beta2, one_b1 = 1.0f - hp.beta1, one_b2 = 1.0f - hp.beta2;
    eps = hp.eps, l2 = hp.l2;
  }
};

// Elements [i0, i1) of one block.
void update(const adamw_consts& k, float* params, const float* grads, float* m, float* v, long i0, long i1,
            float grad_scale) {
#pragma omp simd
  for (long i = i0; i < i1; i++) {
    const float g = grads[i] * grad_scale + k.l2 * params[i];
    const float p = params[i] * k.decay;
    const float mi = m[i] * k.b1 + g * k.one_b1;
    const float vi = v[i] * k.b2 + g * g * k.one_b2;
    m[i] = mi;
    v[i] = vi;
    params[i] = p - k.step_size * (mi / (std::sqrt(vi) / k.bc2_sqrt + k.eps));
  }
}

}  // namespace

void adamw_update(const exec_context&, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale) {
  const adamw_consts k(hp);
  parallel_for_range(static_cast<long>(n), static_cast<long>(n),
                     [&](long i0, long i1) { update(k, params, grads, m, v, i0, i1, grad_scale); });
}

void adamw_update_spans(const exec_context&, float* params, const float* grads, float* m, float* v,
                        const std::vector<adamw_span>& spans, const adamw_params& hp, const adamw_params& hp_decay,
                        float grad_scale) {
  const adamw_consts plain(hp), decaying(hp_decay);
  std::vector<long> start(spans.size() + 1, 0);   // the spans laid end to end
  for (size_t s = 0; s < spans.size(); s++) start[s + 1] = start[s] + static_cast<long>(spans[s].n);
  const long total = start.back();
  parallel_for_range(total, total, [&](long i0, long i1) {
    size_t s = std::upper_bound(start.begin(), start.end(), i0) - start.begin() - 1;
    for (; s < spans.size() && start[s] < i1; s++) {
      const adamw_span& sp = spans[s];
      const long a = std::max(i0, start[s]) - start[s], b = std::min(i1, start[s + 1]) - start[s];
      float* p = params + sp.offset;
      update(sp.decay ? decaying : plain, p, grads + sp.offset, m + sp.offset, v + sp.offset, a, b, grad_scale);
    }
  });
}

}  // namespace pluma::cpu
