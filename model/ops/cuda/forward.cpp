// The host's pluma::cuda::* (model/ops/cuda/backend.h): each forwards to the CUDA module's launcher through
// its ops table, loading the module on first use. The ops reach here only on a CUDA context, after the
// caller has found a device (cuda_available), so a module that cannot be loaded is an internal error here.
// The matmul precision is the exception: it may be set before the module is needed (a CPU run with --precision bf16
// must not load it), so it is kept here until then.
#include <atomic>
#include <string>

#include "model/core/check.h"
#include "model/core/cuda_module.h"
#include "model/ops/cuda/ops_api.h"

namespace pluma::cuda {

namespace {

std::atomic<int> precision_set{-1};   // the last set_matmul_precision, -1 before any

const pluma_cuda_ops_api& ops() {
  static const pluma_cuda_ops_api* const table = [] {
    std::string why;
    const pluma_cuda_module* m = cuda_module(&why);
    PLUMA_CHECK(m != nullptr, why.c_str());
    const int p = precision_set.load();
    if (p >= 0) m->ops->set_matmul_precision(static_cast<matmul_precision>(p));
    return m->ops;
  }();
  return *table;
}

}  // namespace

void set_matmul_precision(matmul_precision p) {
  precision_set.store(static_cast<int>(p));
  if (const pluma_cuda_module* m = cuda_module_if_loaded()) m->ops->set_matmul_precision(p);
}
matmul_precision get_matmul_precision() { return ops().get_matmul_precision(); }
void set_matmul_fallback(bool on) { ops().set_matmul_fallback(on); }

void matmul_forward(const exec_context& ctx, float* out, const float* inp, const float* weight,
                    const float* bias, int N, int C, int OC) {
  ops().matmul_forward(ctx, out, inp, weight, bias, N, C, OC);
}
void matmul_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                     const float* dout, const float* inp, const float* weight, int N, int C, int OC) {
  ops().matmul_backward(ctx, dinp, dweight, dbias, dout, inp, weight, N, C, OC);
}

void embedding_forward(const exec_context& ctx, float* out, const int* tokens, const float* wte,
                       const float* wpe, int B, int T, int C) {
  ops().embedding_forward(ctx, out, tokens, wte, wpe, B, T, C);
}
void embedding_backward(const exec_context& ctx, float* dwte, float* dwpe, const float* dout,
                        const int* tokens, int B, int T, int C) {
  ops().embedding_backward(ctx, dwte, dwpe, dout, tokens, B, T, C);
}

void layernorm_forward(const exec_context& ctx, float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int N, int C) {
  ops().layernorm_forward(ctx, out, mean, rstd, inp, weight, bias, N, C);
}
void layernorm_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                        const float* dout, const float* inp, const float* weight, const float* mean,
                        const float* rstd, int N, int C) {
  ops().layernorm_backward(ctx, dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
}

void attention_forward(const exec_context& ctx, float* out, float* att, const float* qkv, int B, int T,
                       int C, int NH) {
  ops().attention_forward(ctx, out, att, qkv, B, T, C, NH);
}
void attention_backward(const exec_context& ctx, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH) {
  ops().attention_backward(ctx, dqkv, dout, qkv, att, B, T, C, NH);
}
void attention_decode(const exec_context& ctx, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH) {
  ops().attention_decode(ctx, out, q, kcache, vcache, B, len, maxT, C, NH);
}

void gelu_forward(const exec_context& ctx, float* out, const float* inp, long N) {
  ops().gelu_forward(ctx, out, inp, N);
}
void gelu_backward(const exec_context& ctx, float* dinp, const float* inp, const float* dout, long N) {
  ops().gelu_backward(ctx, dinp, inp, dout, N);
}

void residual_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N) {
  ops().residual_forward(ctx, out, a, b, N);
}
void residual_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N) {
  ops().residual_backward(ctx, da, db, dout, N);
}

void dropout_forward(const exec_context& ctx, float* out, float* mask, const float* inp, long N, float p,
                     rng& gen) {
  ops().dropout_forward(ctx, out, mask, inp, N, p, gen);
}
void dropout_backward(const exec_context& ctx, float* dinp, const float* dout, const float* mask, long N) {
  ops().dropout_backward(ctx, dinp, dout, mask, N);
}

void softmax_xent_forward(const exec_context& ctx, float* losses, float* probs, const float* logits,
                          const int* targets, int N, int V, float label_smoothing) {
  ops().softmax_xent_forward(ctx, losses, probs, logits, targets, N, V, label_smoothing);
}
void softmax_xent_backward(const exec_context& ctx, float* dlogits, const float* dlosses, const float* probs,
                           const int* targets, int N, int V, float label_smoothing) {
  ops().softmax_xent_backward(ctx, dlogits, dlosses, probs, targets, N, V, label_smoothing);
}

void adamw_update(const exec_context& ctx, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale) {
  ops().adamw_update(ctx, params, grads, m, v, n, hp, grad_scale);
}

void tensor_fill(const exec_context& ctx, float* out, float value, long N) { ops().tensor_fill(ctx, out, value, N); }
void tensor_fill_normal(const exec_context& ctx, float* out, float mean, float std, long N, rng& gen) {
  ops().tensor_fill_normal(ctx, out, mean, std, N, gen);
}
double tensor_sum(const exec_context& ctx, const float* inp, long N) { return ops().tensor_sum(ctx, inp, N); }
double tensor_sumsq(const exec_context& ctx, const float* inp, long N) { return ops().tensor_sumsq(ctx, inp, N); }
long targets_count(const exec_context& ctx, const int* targets, long N) {
  return ops().targets_count(ctx, targets, N);
}
void kv_cache_write(const exec_context& ctx, float* q, float* kcache, float* vcache, const float* qkv, int B,
                    int pos, int maxT, int C, int NH) {
  ops().kv_cache_write(ctx, q, kcache, vcache, qkv, B, pos, maxT, C, NH);
}
void kv_cache_prefill(const exec_context& ctx, float* kcache, float* vcache, const float* qkv, int B, int T,
                      int maxT, int C, int NH) {
  ops().kv_cache_prefill(ctx, kcache, vcache, qkv, B, T, maxT, C, NH);
}

}  // namespace pluma::cuda
