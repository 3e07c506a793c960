// Device memory for the engine: whether a usable CUDA device is present, raw device buffers, and arenas on
// the GPU carved by the same size table as their host twins (model/core/arena.h), plus the few stream
// operations a model needs around its ops (copies, zeroing, waiting). The CUDA runtime is in the CUDA module
// (model/core/cuda_module.h), loaded by the first cuda_available() or allocation: without it (a build without
// the CUDA backend, or a module that cannot be loaded) cuda_available() says why, an allocation is an error, and
// every other call is an internal check failure.
#pragma once
#include <cstddef>
#include <string>

#include "model/core/arena.h"
#include "model/core/exec.h"
#include "model/core/status.h"

namespace pluma {

// True when this build has the CUDA backend and the current device (0 unless cuda_use_device chose another)
// can be used: it creates that device's context. Otherwise false, with `why` saying
// what is missing ("this build has no CUDA backend ...", the runtime's message for a missing driver or
// device). Never aborts.
bool cuda_available(std::string& why);
// Whether this build contains the CUDA backend (for `pluma --version`).
bool cuda_compiled();
// The current device in words, e.g. "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)"; "" without a device.
std::string cuda_device_description();

// Makes device index % (device count) this process's GPU: for several ranks on one host, each its own,
// chosen before anything is allocated or any context is created (call it first). Returns the index used; an
// error without a usable GPU.
status cuda_use_device(int index, int& used);

// A stream for exec_context::stream, and its end. Creating and destroying are setup-time calls.
void* cuda_stream_create();
void cuda_stream_destroy(void* stream);
// Waits until the work queued on ctx.stream is done (the host is about to read its results).
void device_synchronize(const exec_context& ctx);

// Copies on ctx.stream. The copy to the host waits for it (the host reads the data next); the copy to the
// device returns at once, so `host` must stay unchanged until the stream reaches it (or synchronize).
void device_copy_to(const exec_context& ctx, void* dev, const void* host, size_t bytes);
void device_copy_from(const exec_context& ctx, void* host, const void* dev, size_t bytes);
// Device to device, on ctx.stream.
void device_copy(const exec_context& ctx, void* dst, const void* src, size_t bytes);
// Sets `bytes` bytes at dev to `byte` on ctx.stream (0xFF makes every float a NaN: a poison for tests).
void device_memset(const exec_context& ctx, void* dev, int byte, size_t bytes);

// Events on a stream, for timing its work (the benchmarks): the milliseconds between two recorded events,
// waiting for the second.
void* device_event_create();
void device_event_destroy(void* event);
void device_event_record(void* event, const exec_context& ctx);
float device_event_elapsed_ms(void* start, void* end);

// One block of device memory, freed with the object.
class device_buffer {
 public:
  device_buffer() = default;
  ~device_buffer();
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  device_buffer(device_buffer&& o) noexcept;
  device_buffer& operator=(device_buffer&& o) noexcept;

  // Replaces the block by `bytes` new (uninitialized) bytes; an error when the device is out of memory.
  status allocate(size_t bytes);
  void* data() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// arena on the GPU: n floats, zero-filled on allocation, carved by the host arena's size table.
class device_arena {
 public:
  // n new floats, zero-filled on ctx.stream (ordered before the stream's later work).
  status resize(size_t n_floats, const exec_context& ctx);
  // The same without a stream: zero-filled on the legacy default stream, and waits for it, so that work on
  // any stream (non-blocking ones too) sees the zeros. Setup-time callers only; prefer the above.
  status resize(size_t n_floats);
  void zero(const exec_context& ctx);   // on ctx.stream
  float* data() { return buf_.as<float>(); }
  const float* data() const { return buf_.as<float>(); }
  size_t size() const { return size_; }
  float* at(const tensor_spec& t) { return data() + t.offset; }
  const float* at(const tensor_spec& t) const { return data() + t.offset; }
  // Whole-arena copies; the sizes must match. download waits for the stream.
  void upload(const exec_context& ctx, const arena& host);
  void download(const exec_context& ctx, arena& host) const;

 private:
  device_buffer buf_;
  size_t size_ = 0;
};

}  // namespace pluma
