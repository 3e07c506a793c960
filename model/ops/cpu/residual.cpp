// residual on the CPU: out = a + b; the gradient passes through to both.
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"

namespace pluma::cpu {

void residual_forward(const exec_context&, float* out, const float* a, const float* b, long N) {
#pragma omp parallel for simd schedule(static) if (worth_threads(N))
  for (long i = 0; i < N; i++) out[i] = a[i] + b[i];
}

void residual_backward(const exec_context&, float* da, float* db, const float* dout, long N) {
#pragma omp parallel for simd schedule(static) if (worth_threads(N))
  for (long i = 0; i < N; i++) {
    da[i] += dout[i];
    db[i] += dout[i];
  }
}

}  // namespace pluma::cpu
