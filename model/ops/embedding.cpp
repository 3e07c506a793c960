// Dispatch of the embedding op to its backend.
#include "model/ops/embedding.h"

#include "model/ops/dispatch.h"

namespace pluma {

void embedding_forward(const exec_context& ctx, float* out, const int* tokens, const float* wte,
                       const float* wpe, int B, int T, int C) {
  PLUMA_DISPATCH(embedding_forward, ctx, out, tokens, wte, wpe, B, T, C);
}

void embedding_backward(const exec_context& ctx, float* dwte, float* dwpe, const float* dout,
                        const int* tokens, int B, int T, int C) {
  PLUMA_DISPATCH(embedding_backward, ctx, dwte, dwpe, dout, tokens, B, T, C);
}

}  // namespace pluma
