// gelu on the CPU: exact (erf) GELU, x * Phi(x), elementwise with a vectorizable normal CDF.
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

void gelu_forward(const exec_context&, float* out, const float* inp, long N) {
#pragma omp parallel for simd schedule(static) if (worth_threads(N))
  for (long i = 0; i < N; i++) {
    float cdf, pdf;
    normal_cdf_pdf(inp[i], cdf, pdf);
    out[i] = inp[i] * cdf;
  }
}

// d gelu / dx = Phi(x) + x * phi(x)
void gelu_backward(const exec_context&, float* dinp, const float* inp, const float* dout, long N) {
#pragma omp parallel for simd schedule(static) if (worth_threads(N))
  for (long i = 0; i < N; i++) {
    float cdf, pdf;
    normal_cdf_pdf(inp[i], cdf, pdf);
    dinp[i] += dout[i] * (cdf + inp[i] * pdf);
  }
}

}  // namespace pluma::cpu
