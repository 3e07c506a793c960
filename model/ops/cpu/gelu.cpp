// gelu on the CPU: exact (erf) GELU, x * Phi(x), elementwise with a vectorized normal CDF (16 lanes).
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

void gelu_forward(const exec_context&, float* out, const float* inp, long N) {
  parallel_for_range(N, N, [&](long i0, long i1) {
    vec_for_each(i1 - i0, [&](long i, int w) {
      const vec16 x = vec_load_part(inp + i0 + i, w);
      vec16 cdf, pdf;
      vec_normal_cdf_pdf(x, cdf, pdf);
      vec_store_part(out + i0 + i, x * cdf, w);
    });
  });
}

// d gelu / dx = Phi(x) + x * phi(x)
void gelu_backward(const exec_context&, float* dinp, const float* inp, const float* dout, long N) {
  parallel_for_range(N, N, [&](long i0, long i1) {
    vec_for_each(i1 - i0, [&](long i, int w) {
      const long at = i0 + i;
      const vec16 x = vec_load_part(inp + at, w);
      vec16 cdf, pdf;
      vec_normal_cdf_pdf(x, cdf, pdf);
      vec_store_part(dinp + at, vec_load_part(dinp + at, w) + vec_load_part(dout + at, w) * (cdf + x * pdf), w);
    });
  });
}

}  // namespace pluma::cpu
