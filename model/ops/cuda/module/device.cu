// The module's device table (model/core/cuda_api.h): device query and selection, memory, copies, streams and
// events, as CUDA runtime calls. The host's model/core/device_arena.cpp calls these through the table.
#include <cstdio>

#include "model/core/cuda_api.h"
#include "model/ops/cuda/cuda_check.h"

namespace pluma::cuda {

namespace {

cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }

// nullptr on success, else the runtime's message; the sticky-free error state is cleared for later calls
const char* result(cudaError_t err) {
  if (err == cudaSuccess) return nullptr;
  cudaGetLastError();
  return cudaGetErrorString(err);
}

const char* device_count(int* count) {
  *count = 0;
  return result(cudaGetDeviceCount(count));
}

const char* set_device(int index) { return result(cudaSetDevice(index)); }

const char* init_context() { return result(cudaFree(nullptr)); }

void describe(char* buf, size_t n) {
  int dev = 0;
  cudaDeviceProp p{};
  if (n) buf[0] = '\0';
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess) return;
  std::snprintf(buf, n, "%s (sm_%d%d, %d SMs, %.1f GiB)", p.name, p.major, p.minor, p.multiProcessorCount,
                static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
}

void* stream_create() {
  cudaStream_t s = nullptr;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return s;
}

void stream_destroy(void* s) { CUDA_CHECK(cudaStreamDestroy(as_stream(s))); }

void synchronize(void* s) { CUDA_CHECK(cudaStreamSynchronize(as_stream(s))); }

const char* device_malloc(void** ptr, size_t bytes) {
  const char* err = result(cudaMalloc(ptr, bytes));
  if (err) *ptr = nullptr;
  return err;
}

void device_free(void* ptr) { cudaFree(ptr); }

void copy_to_device(void* dev, const void* host, size_t bytes, void* s) {
  CUDA_CHECK(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, as_stream(s)));
}

void copy_to_host(void* host, const void* dev, size_t bytes, void* s) {
  if (bytes) CUDA_CHECK(cudaMemcpyAsync(host, dev, bytes, cudaMemcpyDeviceToHost, as_stream(s)));
  CUDA_CHECK(cudaStreamSynchronize(as_stream(s)));
}

void copy_on_device(void* dst, const void* src, size_t bytes, void* s) {
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, as_stream(s)));
}

void device_memset(void* dev, int byte, size_t bytes, void* s) {
  CUDA_CHECK(cudaMemsetAsync(dev, byte, bytes, as_stream(s)));
}

void* event_create() {
  cudaEvent_t e = nullptr;
  CUDA_CHECK(cudaEventCreate(&e));
  return e;
}

void event_destroy(void* e) { CUDA_CHECK(cudaEventDestroy(static_cast<cudaEvent_t>(e))); }

void event_record(void* e, void* s) { CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(e), as_stream(s))); }

float event_elapsed_ms(void* start, void* end) {
  CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(end)));
  float ms = 0.0f;
  CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)));
  return ms;
}

}  // namespace

extern const pluma_cuda_device_api device_table = {
    .device_count = device_count, .set_device = set_device, .init_context = init_context, .describe = describe,
    .stream_create = stream_create, .stream_destroy = stream_destroy, .synchronize = synchronize,
    .malloc = device_malloc, .free = device_free, .copy_to_device = copy_to_device, .copy_to_host = copy_to_host,
    .copy_on_device = copy_on_device, .memset = device_memset, .event_create = event_create,
    .event_destroy = event_destroy, .event_record = event_record, .event_elapsed_ms = event_elapsed_ms,
};

}  // namespace pluma::cuda
