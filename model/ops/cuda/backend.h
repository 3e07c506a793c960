// The CUDA backend's entry points: the same signatures as the public op headers (model/ops/*.h), which
// dispatch here on ctx.dev == device::cuda in a build with PLUMA_HAVE_CUDA. Every pointer is device memory
// (tokens and targets too); work is queued on ctx.stream (a cudaStream_t, nullptr = the default stream) and
// no op synchronises with the host. Plain C++: included by the dispatching .cpp files.
// Two definitions: the kernels' launchers in the CUDA module (model/ops/cuda/*.cu, libpluma_cuda.so), and in
// the host, forwarders through the module's table (forward.cpp), which load the module on first use.
#pragma once
#include <cstddef>

#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/ops/adamw.h"

namespace pluma::cuda {

// ---- matmul (cuBLASLt). The precision of the products, for the whole process:
//   fp32 (default): exact float32 arithmetic, so CPU/CUDA parity is tight;
//   tf32: tensor cores on float32 operands rounded to tf32; bf16: operands rounded to bfloat16 on the fly.
// Both fast modes accumulate in float32 and keep float32 inputs and outputs (master weights stay float32).
// The environment variable PLUMA_CUDA_MATMUL=fp32|tf32|bf16 sets the starting value.
enum class matmul_precision { fp32, tf32, bf16 };
void set_matmul_precision(matmul_precision p);
matmul_precision get_matmul_precision();
inline const char* matmul_precision_name(matmul_precision p) {
  return p == matmul_precision::tf32 ? "tf32" : p == matmul_precision::bf16 ? "bf16" : "fp32";
}
// Tests only: route every new matmul plan through the cublasGemmEx fallback instead of cuBLASLt.
void set_matmul_fallback(bool on);

void matmul_forward(const exec_context& ctx, float* out, const float* inp, const float* weight,
                    const float* bias, int N, int C, int OC);
void matmul_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                     const float* dout, const float* inp, const float* weight, int N, int C, int OC);

// ---- embedding (tokens: device ints)
void embedding_forward(const exec_context& ctx, float* out, const int* tokens, const float* wte,
                       const float* wpe, int B, int T, int C);
void embedding_backward(const exec_context& ctx, float* dwte, float* dwpe, const float* dout,
                        const int* tokens, int B, int T, int C);

// ---- layernorm
void layernorm_forward(const exec_context& ctx, float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, int N, int C);
void layernorm_backward(const exec_context& ctx, float* dinp, float* dweight, float* dbias,
                        const float* dout, const float* inp, const float* weight, const float* mean,
                        const float* rstd, int N, int C);

// ---- attention (fused kernels; head size C/NH up to 128)
void attention_forward(const exec_context& ctx, float* out, float* att, const float* qkv, int B, int T,
                       int C, int NH);
void attention_backward(const exec_context& ctx, float* dqkv, const float* dout, const float* qkv,
                        const float* att, int B, int T, int C, int NH);
void attention_decode(const exec_context& ctx, float* out, const float* q, const float* kcache,
                      const float* vcache, int B, int len, int maxT, int C, int NH);

// ---- gelu
void gelu_forward(const exec_context& ctx, float* out, const float* inp, long N);
void gelu_backward(const exec_context& ctx, float* dinp, const float* inp, const float* dout, long N);

// ---- residual
void residual_forward(const exec_context& ctx, float* out, const float* a, const float* b, long N);
void residual_backward(const exec_context& ctx, float* da, float* db, const float* dout, long N);

// ---- dropout: the same mask as the CPU backend for the same generator state (counter-based draws)
void dropout_forward(const exec_context& ctx, float* out, float* mask, const float* inp, long N, float p,
                     rng& gen);
void dropout_backward(const exec_context& ctx, float* dinp, const float* dout, const float* mask, long N);

// ---- softmax cross-entropy (targets: device ints)
void softmax_xent_forward(const exec_context& ctx, float* losses, float* probs, const float* logits,
                          const int* targets, int N, int V, float label_smoothing);
void softmax_xent_backward(const exec_context& ctx, float* dlogits, const float* dlosses, const float* probs,
                           const int* targets, int N, int V, float label_smoothing);

// ---- adamw: one fused kernel over the block
void adamw_update(const exec_context& ctx, float* params, const float* grads, float* m, float* v, size_t n,
                  const adamw_params& hp, float grad_scale);

// ---- the GPT's helpers (model/ops/tensor_util.h, model/ops/kv_cache.h); tensor_sum, tensor_sumsq and
// targets_count return to the host, so they wait for the stream
void tensor_fill(const exec_context& ctx, float* out, float value, long N);
void tensor_fill_normal(const exec_context& ctx, float* out, float mean, float std, long N, rng& gen);
double tensor_sum(const exec_context& ctx, const float* inp, long N);
double tensor_sumsq(const exec_context& ctx, const float* inp, long N);
long targets_count(const exec_context& ctx, const int* targets, long N);
void kv_cache_write(const exec_context& ctx, float* q, float* kcache, float* vcache, const float* qkv, int B,
                    int pos, int maxT, int C, int NH);
void kv_cache_prefill(const exec_context& ctx, float* kcache, float* vcache, const float* qkv, int B, int T,
                      int maxT, int C, int NH);

}  // namespace pluma::cuda
