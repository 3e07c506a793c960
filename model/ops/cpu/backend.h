// The CPU backend's entry points: the same signatures as the public op headers (model/ops/*.h), which
// dispatch here on ctx.dev == device::cpu. OpenMP + oneDNN; this backend is the numerical oracle.
// Results are deterministic for a fixed thread count (no float atomics; reductions in a fixed order).
#pragma once
#include <cstddef>
#include <cstdint>

#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/ops/adamw.h"
#include "model/ops/grad_write.h"
#include "model/ops/matmul_decode.h"
#include "model/ops/operand.h"

namespace pluma::cpu {

// ---- matmul (oneDNN); shapes as in model/ops/matmul.h
void matmul_forward(const exec_context& ctx, float* out, operand inp, operand weight, const float* bias, int N,
                    int C, int OC);
void matmul_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias, const float* dout,
                     operand inp, operand weight, int N, int C, int OC, grad_write dinp_write = grad_write::add,
                     grad_write params_write = grad_write::add);
// model/ops/matmul_decode.h: a few rows against packed weights (cpu/matmul_panels.cpp)
void matmul_decode(const exec_context& ctx, float* out, const float* inp, const decode_matrix& w, const float* bias,
                   int N);
// Plain loops in double accumulation: the oracle the oneDNN path is tested against. Same contract.
void matmul_forward_reference(float* out, const float* inp, const float* weight, const float* bias, int N,
                              int C, int OC);
void matmul_backward_reference(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, int N, int C, int OC);

// ---- embedding
void embedding_forward(const exec_context& ctx, float* out, const int* tokens, const float* wte,
                       const float* wpe, int B, int T, int C);
void embedding_backward(const exec_context& ctx, float* dwte, float* dwpe, const float* dout,
                        const int* tokens, int B, int T, int C);

// ---- layernorm
void layernorm_forward(const exec_context& ctx, operand_out out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int N, int C);
void layernorm_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                        const float* dout, const float* inp, const float* weight, const float* mean,
                        const float* rstd, int N, int C, grad_write dinp_write = grad_write::add,
                        grad_write params_write = grad_write::add);

// ---- attention
void attention_forward(const exec_context& ctx, operand_out out, float* att, const float* qkv, int B, int T,
                       int C, int NH);
void attention_backward(const exec_context& ctx, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH,
                        grad_write dqkv_write = grad_write::add);
void attention_decode(const exec_context& ctx, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH);

// ---- gelu
void gelu_forward(const exec_context& ctx, float* out, const float* inp, long N);
void gelu_backward(const exec_context& ctx, float* dinp, const float* inp, const float* dout, long N);

// ---- residual
void residual_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N);
void residual_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N);

// ---- dropout
void dropout_forward(const exec_context& ctx, float* out, float* mask, const float* inp, long N, float p,
                     rng& gen);
void dropout_backward(const exec_context& ctx, float* dinp, const float* dout, const float* mask, long N);

// ---- softmax cross-entropy
void softmax_xent_forward(const exec_context& ctx, float* losses, float* probs, const float* logits,
                          const int* targets, int N, int V, float label_smoothing);
void softmax_xent_backward(const exec_context& ctx, float* dlogits, const float* dlosses, const float* probs,
                           const int* targets, int N, int V, float label_smoothing);

// ---- adamw
void adamw_update(const exec_context& ctx, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale);
void adamw_update_spans(const exec_context& ctx, float* params, const float* grads, float* m, float* v,
                        const std::vector<adamw_span>& spans, const adamw_params& hp, const adamw_params& hp_decay,
                        float grad_scale);

}  // namespace pluma::cpu
