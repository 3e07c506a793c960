// dropout on the CPU. The i-th element uses the i-th draw of `gen` (counter-based, see rng::peek_u64), so the
// mask is the same for any thread count, and `gen` ends N draws further on, as if drawn one by one.
#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {

void dropout_forward(const exec_context&, float* out, float* mask, const float* inp, long N, float p,
                     rng& gen) {
  PLUMA_CHECK(p >= 0.0f && p <= 1.0f, "dropout_forward: p must be in [0, 1]");
  if (p == 0.0f) {
#pragma omp parallel for simd schedule(static) if (worth_threads(N))
    for (long i = 0; i < N; i++) {
      mask[i] = 1.0f;
      out[i] = inp[i];
    }
    return;
  }
  const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  const rng base = gen;
#pragma omp parallel for schedule(static) if (worth_threads(N))
  for (long i = 0; i < N; i++) {
    const float u = rng::to_uniform(base.peek_u64(static_cast<uint64_t>(i)));
    mask[i] = u >= p ? keep_scale : 0.0f;
    out[i] = inp[i] * mask[i];
  }
  gen.discard(static_cast<uint64_t>(N));
}

void dropout_backward(const exec_context&, float* dinp, const float* dout, const float* mask, long N) {
#pragma omp parallel for simd schedule(static) if (worth_threads(N))
  for (long i = 0; i < N; i++) dinp[i] += dout[i] * mask[i];
}

}  // namespace pluma::cpu
