// Device memory and the device query, through the CUDA module's device table (model/core/cuda_module.h). The
// query and allocations load the module; every other call finds it loaded (a device was found first), or is an
// internal error saying why not.
#include "model/core/device_arena.h"

#include <cstdio>
#include <string>
#include <utility>

#include "model/core/check.h"
#include "model/core/cuda_module.h"

namespace pluma {

namespace {

// The device table of the loaded module; an internal check failure without one.
const pluma_cuda_device_api& dev() {
  if (const pluma_cuda_module* m = cuda_module_if_loaded()) return *m->device;
  std::string why;
  const pluma_cuda_module* m = cuda_module(&why);
  PLUMA_CHECK(m != nullptr, why.c_str());
  return *m->device;
}

}  // namespace

bool cuda_compiled() {
#ifdef PLUMA_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

bool cuda_available(std::string& why) {
  const pluma_cuda_module* m = cuda_module(&why);
  if (!m) return false;
  int count = 0;
  const char* err = m->device->device_count(&count);
  if (!err && count == 0) err = "no CUDA-capable device is detected";
  if (!err) err = m->device->init_context();   // creates the context: the driver really works
  why = err ? err : "";
  return err == nullptr;
}

std::string cuda_device_description() {
  std::string why;
  if (!cuda_available(why)) return "";
  char buf[512];
  dev().describe(buf, sizeof buf);
  return buf;
}

status cuda_use_device(int index, int& used) {
  used = 0;
  // The device is selected before anything creates a context: cuda_available()'s would otherwise open one on
  // device 0 for every rank of the host.
  std::string why;
  const pluma_cuda_module* m = cuda_module(&why);
  if (!m) return status::error("no CUDA device: " + why);
  int count = 0;
  const char* err = m->device->device_count(&count);
  if (err || count < 1) return status::error(std::string("no CUDA device: ") + (err ? err : "no CUDA-capable device is detected"));
  used = (index < 0 ? 0 : index) % count;
  if (const char* set = m->device->set_device(used))
    return status::error("cudaSetDevice(" + std::to_string(used) + "): " + set);
  if (!cuda_available(why)) return status::error("no CUDA device: " + why);   // the context, on `used`
  return status::ok();
}

void* cuda_stream_create() { return dev().stream_create(); }

void cuda_stream_destroy(void* stream) {
  if (stream) dev().stream_destroy(stream);
}

void device_synchronize(const exec_context& ctx) { dev().synchronize(ctx.stream); }

void device_copy_to(const exec_context& ctx, void* dev_ptr, const void* host, size_t bytes) {
  if (bytes) dev().copy_to_device(dev_ptr, host, bytes, ctx.stream);
}

void device_copy_from(const exec_context& ctx, void* host, const void* dev_ptr, size_t bytes) {
  dev().copy_to_host(host, dev_ptr, bytes, ctx.stream);
}

void device_copy(const exec_context& ctx, void* dst, const void* src, size_t bytes) {
  if (bytes) dev().copy_on_device(dst, src, bytes, ctx.stream);
}

void device_memset(const exec_context& ctx, void* dev_ptr, int byte, size_t bytes) {
  if (bytes) dev().memset(dev_ptr, byte, bytes, ctx.stream);
}

void* device_event_create() { return dev().event_create(); }
void device_event_destroy(void* event) { dev().event_destroy(event); }
void device_event_record(void* event, const exec_context& ctx) { dev().event_record(event, ctx.stream); }
float device_event_elapsed_ms(void* start, void* end) { return dev().event_elapsed_ms(start, end); }

device_buffer::~device_buffer() {
  if (ptr_) dev().free(ptr_);   // unchecked in the module: a destructor may run after the context is gone
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
  std::string why;
  const pluma_cuda_module* m = cuda_module(&why);
  if (!m) return status::error(why);
  if (const char* err = m->device->malloc(&ptr_, bytes)) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "cannot allocate %.2f GiB on the GPU (%s): reduce the batch size or the model",
                  static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0), err);
    return status::error(buf);
  }
  bytes_ = bytes;
  return status::ok();
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
