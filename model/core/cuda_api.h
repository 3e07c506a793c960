// The interface between pluma and its CUDA backend module (libpluma_cuda.so, built from model/ops/cuda/*.cu):
// tables of function pointers that the module fills and returns from one extern "C" symbol. Only plain types
// here: no CUDA header is needed to include it. The host loads the module on first use (model/core/cuda_module.h),
// so a process that never asks for the GPU never maps the CUDA libraries.
//
// Any change to these tables, or to the ops table (model/ops/cuda/ops_api.h), bumps PLUMA_CUDA_API_VERSION: a
// module of another version is refused at load.
#pragma once
#include <cstddef>
#include <cstdint>

#define PLUMA_CUDA_API_VERSION 1u
#define PLUMA_CUDA_MODULE_SYMBOL "pluma_cuda_backend"

struct pluma_cuda_ops_api;   // the ops' entry points, model/ops/cuda/ops_api.h

extern "C" {

// Device memory, streams and the device query. A call that can fail returns nullptr on success, else the
// runtime's message (a static string); every other failure aborts with the call, as CUDA_CHECK does.
struct pluma_cuda_device_api {
  const char* (*device_count)(int* count);
  const char* (*set_device)(int index);
  const char* (*init_context)();   // creates the current device's context: the driver really works
  void (*describe)(char* buf, size_t n);   // the current device in words
  void* (*stream_create)();
  void (*stream_destroy)(void* stream);
  void (*synchronize)(void* stream);
  const char* (*malloc)(void** ptr, size_t bytes);
  void (*free)(void* ptr);   // unchecked: may run after the context is gone
  void (*copy_to_device)(void* dev, const void* host, size_t bytes, void* stream);
  void (*copy_to_host)(void* host, const void* dev, size_t bytes, void* stream);   // waits for the stream
  void (*copy_on_device)(void* dst, const void* src, size_t bytes, void* stream);
  void (*memset)(void* dev, int byte, size_t bytes, void* stream);
  void* (*event_create)();
  void (*event_destroy)(void* event);
  void (*event_record)(void* event, void* stream);
  float (*event_elapsed_ms)(void* start, void* end);   // waits for `end`
};

// NCCL: gradients averaged on the GPUs. Failures return NCCL's message, nullptr on success.
struct pluma_cuda_nccl_api {
  size_t id_bytes;   // sizeof(ncclUniqueId): what rank 0 sends the others
  const char* (*get_unique_id)(void* id);
  const char* (*comm_init_rank)(void** comm, int nranks, const void* id, int rank);
  const char* (*allreduce_avg)(void* comm, float* data, size_t n, void* stream);   // in place
  void (*comm_destroy)(void* comm);
};

struct pluma_cuda_module {
  uint32_t version;   // PLUMA_CUDA_API_VERSION as the module was built
  uint32_t size;      // sizeof(pluma_cuda_module) as the module was built
  const pluma_cuda_device_api* device;
  const pluma_cuda_ops_api* ops;
  const pluma_cuda_nccl_api* nccl;   // nullptr: the module was built without NCCL
};

// The one symbol the module exports (PLUMA_CUDA_MODULE_SYMBOL).
typedef const pluma_cuda_module* (*pluma_cuda_module_fn)();

}  // extern "C"
