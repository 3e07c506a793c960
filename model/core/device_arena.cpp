// Device memory and the device query: CUDA runtime calls when the backend is built, clear internal check
// failures otherwise (only cuda_available() may be asked anywhere).
#include "model/core/device_arena.h"

#include <cstdio>
#include <string>
#include <utility>

#include "model/core/check.h"

#ifdef PLUMA_HAVE_CUDA
#include "model/core/cuda_check.h"
#endif

namespace pluma {

namespace {

[[maybe_unused]] constexpr const char* no_backend =
    "this build has no CUDA backend (configured without nvcc, or with -DPLUMA_CUDA=OFF)";

#ifdef PLUMA_HAVE_CUDA
cudaStream_t stream_of(const exec_context& ctx) { return static_cast<cudaStream_t>(ctx.stream); }
#endif

}  // namespace

bool cuda_compiled() {
#ifdef PLUMA_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

bool cuda_available(std::string& why) {
#ifdef PLUMA_HAVE_CUDA
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaSuccess && count == 0) {
    why = "no CUDA-capable device is detected";
    return false;
  }
  if (err == cudaSuccess) err = cudaFree(nullptr);   // creates the context: the driver really works
  if (err != cudaSuccess) {
    why = cudaGetErrorString(err);
    cudaGetLastError();   // clear the sticky-free error state for later calls
    return false;
  }
  why.clear();
  return true;
#else
  why = no_backend;
  return false;
#endif
}

std::string cuda_device_description() {
#ifdef PLUMA_HAVE_CUDA
  std::string why;
  if (!cuda_available(why)) return "";
  int dev = 0;
  cudaDeviceProp p{};
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess) return "";
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %d SMs, %.1f GiB)", p.name, p.major, p.minor,
                p.multiProcessorCount, static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return buf;
#else
  return "";
#endif
}

status cuda_use_device(int index, int& used) {
  used = 0;
#ifdef PLUMA_HAVE_CUDA
  // The device is selected before anything creates a context: cuda_available()'s cudaFree(nullptr) would
  // otherwise open one on device 0 for every rank of the host.
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count < 1) {
    cudaGetLastError();
    return status::error(std::string("no CUDA device: ") +
                         (err != cudaSuccess ? cudaGetErrorString(err) : "no CUDA-capable device is detected"));
  }
  used = (index < 0 ? 0 : index) % count;
  const cudaError_t set = cudaSetDevice(used);
  if (set != cudaSuccess) {
    cudaGetLastError();
    return status::error("cudaSetDevice(" + std::to_string(used) + "): " + cudaGetErrorString(set));
  }
  std::string why;
  if (!cuda_available(why)) return status::error("no CUDA device: " + why);   // the context, on `used`
  return status::ok();
#else
  (void)index;
  return status::error(std::string("no CUDA device: ") + no_backend);
#endif
}

void* cuda_stream_create() {
#ifdef PLUMA_HAVE_CUDA
  cudaStream_t s = nullptr;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return s;
#else
  PLUMA_CHECK(false, no_backend);
  return nullptr;
#endif
}

void cuda_stream_destroy(void* stream) {
#ifdef PLUMA_HAVE_CUDA
  if (stream) CUDA_CHECK(cudaStreamDestroy(static_cast<cudaStream_t>(stream)));
#else
  PLUMA_CHECK(stream == nullptr, no_backend);
#endif
}

void device_synchronize(const exec_context& ctx) {
#ifdef PLUMA_HAVE_CUDA
  CUDA_CHECK(cudaStreamSynchronize(stream_of(ctx)));
#else
  PLUMA_CHECK(false, no_backend);
#endif
}

void device_copy_to(const exec_context& ctx, void* dev, const void* host, size_t bytes) {
#ifdef PLUMA_HAVE_CUDA
  if (bytes) CUDA_CHECK(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, stream_of(ctx)));
#else
  PLUMA_CHECK(false, no_backend);
#endif
}

void device_copy_from(const exec_context& ctx, void* host, const void* dev, size_t bytes) {
#ifdef PLUMA_HAVE_CUDA
  if (bytes) CUDA_CHECK(cudaMemcpyAsync(host, dev, bytes, cudaMemcpyDeviceToHost, stream_of(ctx)));
  CUDA_CHECK(cudaStreamSynchronize(stream_of(ctx)));
#else
  PLUMA_CHECK(false, no_backend);
#endif
}

void device_memset(const exec_context& ctx, void* dev, int byte, size_t bytes) {
#ifdef PLUMA_HAVE_CUDA
  if (bytes) CUDA_CHECK(cudaMemsetAsync(dev, byte, bytes, stream_of(ctx)));
#else
  PLUMA_CHECK(false, no_backend);
#endif
}

device_buffer::~device_buffer() {
#ifdef PLUMA_HAVE_CUDA
  if (ptr_) cudaFree(ptr_);   // no check: a destructor may run after the context is gone
#endif
}

device_buffer::device_buffer(device_buffer&& o) noexcept
    : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}

device_buffer& device_buffer::operator=(device_buffer&& o) noexcept {
  if (this != &o) {
    device_buffer old(std::move(*this));
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

status device_buffer::allocate(size_t bytes) {
  *this = device_buffer();
  if (bytes == 0) return status::ok();
#ifdef PLUMA_HAVE_CUDA
  const cudaError_t err = cudaMalloc(&ptr_, bytes);
  if (err != cudaSuccess) {
    ptr_ = nullptr;
    cudaGetLastError();
    char buf[160];
    std::snprintf(buf, sizeof buf, "cannot allocate %.2f GiB on the GPU (%s): reduce the batch size or the model",
                  static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0), cudaGetErrorString(err));
    return status::error(buf);
  }
  bytes_ = bytes;
  return status::ok();
#else
  return status::error(no_backend);
#endif
}

status device_arena::resize(size_t n_floats, const exec_context& ctx) {
  size_ = 0;
  PLUMA_TRY(buf_.allocate(n_floats * sizeof(float)));
  size_ = n_floats;
  zero(ctx);   // queued on ctx.stream, so the stream's later work sees the zeros
  return status::ok();
}

status device_arena::resize(size_t n_floats) {
  const exec_context legacy{device::cuda, nullptr};
  PLUMA_TRY(resize(n_floats, legacy));
  if (n_floats) device_synchronize(legacy);   // done before any stream, blocking or not, reads it
  return status::ok();
}

void device_arena::zero(const exec_context& ctx) {
  if (size_) device_memset(ctx, buf_.data(), 0, size_ * sizeof(float));
}

void device_arena::upload(const exec_context& ctx, const arena& host) {
  PLUMA_CHECK(host.size() == size_, "device_arena::upload: the host arena has another size");
  device_copy_to(ctx, data(), host.data(), size_ * sizeof(float));
}

void device_arena::download(const exec_context& ctx, arena& host) const {
  PLUMA_CHECK(host.size() == size_, "device_arena::download: the host arena has another size");
  device_copy_from(ctx, host.data(), data(), size_ * sizeof(float));
}

}  // namespace pluma
