// softmax cross-entropy on the CPU, rows in parallel. With label smoothing eps (PyTorch's CrossEntropyLoss):
// loss = (1 - eps) * (-log p[target]) + eps * mean over classes of (-log p[c]).
#include <cmath>

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

void softmax_xent_forward(const exec_context&, float* losses, float* probs, const float* logits,
                          const int* targets, int N, int V, float label_smoothing) {
#pragma omp parallel for schedule(static) if (worth_threads(long(N) * V))
  for (int n = 0; n < N; n++) {
    const float* x = logits + static_cast<long>(n) * V;  // (V)
    float* p = probs + static_cast<long>(n) * V;         // (V)
    float maxv = x[0];
#pragma omp simd reduction(max : maxv)
    for (int c = 1; c < V; c++) maxv = std::max(maxv, x[c]);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int c = 0; c < V; c++) {
      p[c] = exp_approx(x[c] - maxv);
      sum += p[c];
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int c = 0; c < V; c++) p[c] *= inv;
    const int target = targets[n];
    PLUMA_CHECK(target < V, "softmax_xent_forward: target id out of the vocabulary");
    if (target < 0) {
      losses[n] = 0.0f;
      continue;
    }
    // log p[c] = x[c] - maxv - log(sum), in double for the smoothing term's sum over V classes
    const double log_norm = static_cast<double>(maxv) + std::log(static_cast<double>(sum));
    double loss = (1.0 - label_smoothing) * (log_norm - x[target]);
    if (label_smoothing != 0.0f) {
      double sum_x = 0.0;
#pragma omp simd reduction(+ : sum_x)
      for (int c = 0; c < V; c++) sum_x += x[c];
      loss += label_smoothing * (log_norm - sum_x / V);
    }
    losses[n] = static_cast<float>(loss);
  }
}

void softmax_xent_backward(const exec_context&, float* dlogits, const float* dlosses, const float* probs,
                           const int* targets, int N, int V, float label_smoothing) {
  // d loss / d x[c] = p[c] - (1 - eps) * [c == target] - eps / V
  const float smooth = label_smoothing / V;
#pragma omp parallel for schedule(static) if (worth_threads(long(N) * V))
  for (int n = 0; n < N; n++) {
    const int target = targets[n];
    if (target < 0) continue;
    PLUMA_CHECK(target < V, "softmax_xent_backward: target id out of the vocabulary");
    const float dl = dlosses[n];
    const float* p = probs + static_cast<long>(n) * V;  // (V)
    float* d = dlogits + static_cast<long>(n) * V;      // (V)
#pragma omp simd
    for (int c = 0; c < V; c++) d[c] += dl * (p[c] - smooth);
    d[target] -= dl * (1.0f - label_smoothing);
  }
}

}  // namespace pluma::cpu
