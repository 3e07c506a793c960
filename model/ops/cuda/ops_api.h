// The ops' table of the CUDA backend module (model/core/cuda_api.h): one pointer per entry point of
// model/ops/cuda/backend.h, typed from its declarations. The module fills it with its kernels' launchers
// (module/entry.cu); the host's pluma::cuda::* functions (forward.cpp) call through it.
#pragma once
#include "model/core/cuda_api.h"
#include "model/ops/cuda/backend.h"

#define PLUMA_CUDA_OP(name) decltype(&::pluma::cuda::name) name

struct pluma_cuda_ops_api {
  PLUMA_CUDA_OP(set_matmul_precision);
  PLUMA_CUDA_OP(get_matmul_precision);
  PLUMA_CUDA_OP(set_matmul_fallback);
  PLUMA_CUDA_OP(matmul_forward);
  PLUMA_CUDA_OP(matmul_backward);
  PLUMA_CUDA_OP(embedding_forward);
  PLUMA_CUDA_OP(embedding_backward);
  PLUMA_CUDA_OP(layernorm_forward);
  PLUMA_CUDA_OP(layernorm_backward);
  PLUMA_CUDA_OP(attention_forward);
  PLUMA_CUDA_OP(attention_backward);
  PLUMA_CUDA_OP(attention_decode);
  PLUMA_CUDA_OP(gelu_forward);
  PLUMA_CUDA_OP(gelu_backward);
  PLUMA_CUDA_OP(residual_forward);
  PLUMA_CUDA_OP(residual_backward);
  PLUMA_CUDA_OP(dropout_forward);
  PLUMA_CUDA_OP(dropout_backward);
  PLUMA_CUDA_OP(softmax_xent_forward);
  PLUMA_CUDA_OP(softmax_xent_backward);
  PLUMA_CUDA_OP(adamw_update);
  PLUMA_CUDA_OP(tensor_fill);
  PLUMA_CUDA_OP(tensor_fill_normal);
  PLUMA_CUDA_OP(tensor_sum);
  PLUMA_CUDA_OP(tensor_sumsq);
  PLUMA_CUDA_OP(targets_count);
  PLUMA_CUDA_OP(kv_cache_write);
  PLUMA_CUDA_OP(kv_cache_prefill);
};

#undef PLUMA_CUDA_OP
