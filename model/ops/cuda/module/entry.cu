// The CUDA backend module's one exported symbol (model/core/cuda_api.h): its tables, filled here.
#include "model/ops/cuda/ops_api.h"

namespace pluma::cuda {

extern const pluma_cuda_device_api device_table;   // module/device.cu
extern const pluma_cuda_nccl_api* const nccl_table;   // module/nccl.cu

namespace {

const pluma_cuda_ops_api ops_table = {
    .set_matmul_precision = set_matmul_precision, .get_matmul_precision = get_matmul_precision,
    .set_matmul_fallback = set_matmul_fallback, .matmul_forward = matmul_forward,
    .matmul_backward = matmul_backward, .embedding_forward = embedding_forward,
    .embedding_backward = embedding_backward, .layernorm_forward = layernorm_forward,
    .layernorm_backward = layernorm_backward, .attention_forward = attention_forward,
    .attention_backward = attention_backward, .attention_decode = attention_decode,
    .gelu_forward = gelu_forward, .gelu_backward = gelu_backward, .residual_forward = residual_forward,
    .residual_backward = residual_backward, .dropout_forward = dropout_forward,
    .dropout_backward = dropout_backward, .softmax_xent_forward = softmax_xent_forward,
    .softmax_xent_backward = softmax_xent_backward, .adamw_update = adamw_update, .tensor_fill = tensor_fill,
    .tensor_fill_normal = tensor_fill_normal, .tensor_sum = tensor_sum, .tensor_sumsq = tensor_sumsq,
    .targets_count = targets_count, .kv_cache_write = kv_cache_write, .kv_cache_prefill = kv_cache_prefill,
};

}  // namespace

}  // namespace pluma::cuda

extern "C" __attribute__((visibility("default"))) const pluma_cuda_module* pluma_cuda_backend() {
  static const pluma_cuda_module module = {.version = PLUMA_CUDA_API_VERSION,
                                           .size = sizeof(pluma_cuda_module),
                                           .device = &pluma::cuda::device_table,
                                           .ops = &pluma::cuda::ops_table,
                                           .nccl = pluma::cuda::nccl_table};
  return &module;
}
