// Checks for every CUDA runtime and cuBLAS call and every kernel launch: on failure, print the file, line,
// the call and the error string, then abort. A failed CUDA call inside an op is an engine invariant (a
// bad launch, an out-of-memory mid-step, a lost device); boundary errors use pluma::status instead.
// Include only from the CUDA backend module's sources (model/ops/cuda/*.cu).
#pragma once
#include <cstdio>
#include <cstdlib>

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace pluma::detail {

[[noreturn]] inline void cuda_fail(const char* what, const char* error, const char* file, int line) {
  std::fprintf(stderr, "pluma: CUDA error at %s:%d: %s failed: %s\n", file, line, what, error);
  std::abort();
}

}  // namespace pluma::detail

#define CUDA_CHECK(call)                                                                        \
  do {                                                                                          \
    cudaError_t pluma_cuda_err_ = (call);                                                       \
    if (pluma_cuda_err_ != cudaSuccess)                                                         \
      ::pluma::detail::cuda_fail(#call, cudaGetErrorString(pluma_cuda_err_), __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: catches bad launch configurations (errors of the kernel's execution surface at a
// later call on the stream, which is checked too).
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

#define CUBLAS_CHECK(call)                                                                        \
  do {                                                                                            \
    cublasStatus_t pluma_cublas_st_ = (call);                                                     \
    if (pluma_cublas_st_ != CUBLAS_STATUS_SUCCESS)                                                \
      ::pluma::detail::cuda_fail(#call, cublasGetStatusString(pluma_cublas_st_), __FILE__, __LINE__); \
  } while (0)
