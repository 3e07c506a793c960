// The CUDA backend module's loader: dlopen once, check the interface version, keep the tables for the
// process's lifetime (never dlclose: the module's cuBLAS handles and streams live until exit).
#include "model/core/cuda_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <string>

namespace pluma {

namespace {

std::atomic<const pluma_cuda_module*> loaded_module{nullptr};

struct load_result {
  const pluma_cuda_module* module = nullptr;
  std::string why;
};

#ifdef PLUMA_HAVE_CUDA
constexpr const char* module_name = "libpluma_cuda.so";

std::string loader_error(const char* fallback) {
  const char* e = dlerror();
  return e ? e : fallback;
}

// The executable's folder + the module's name; "" when /proc/self/exe cannot be read.
std::string beside_executable() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string exe(buf, static_cast<size_t>(n));
  const size_t slash = exe.rfind('/');
  return slash == std::string::npos ? "" : exe.substr(0, slash + 1) + module_name;
}

// dlopen the first place that has it: the override alone when set, else beside the executable (when a file is
// there), else the plain name.
void* open_module(std::string& path, std::string& why) {
  const char* override_path = std::getenv("PLUMA_CUDA_LIBRARY");
  if (override_path && *override_path) {
    path = override_path;
  } else {
    path = beside_executable();
    if (path.empty() || access(path.c_str(), F_OK) != 0) path = module_name;
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) why = loader_error("dlopen failed");
  return handle;
}
#endif

load_result load() {
  load_result r;
#ifdef PLUMA_HAVE_CUDA
  std::string path, why;
  void* handle = open_module(path, why);
  pluma_cuda_module_fn entry = nullptr;
  if (handle) {
    dlerror();
    entry = reinterpret_cast<pluma_cuda_module_fn>(dlsym(handle, PLUMA_CUDA_MODULE_SYMBOL));
    if (!entry) why = loader_error("no " PLUMA_CUDA_MODULE_SYMBOL " symbol");
  }
  const pluma_cuda_module* m = entry ? entry() : nullptr;
  if (entry && !m) why = path + ": the module returned no tables";
  if (m && m->version != PLUMA_CUDA_API_VERSION)
    why = path + ": interface version " + std::to_string(m->version) + " where this pluma needs " +
          std::to_string(PLUMA_CUDA_API_VERSION) + ": a module from another build";
  else if (m && (m->size != sizeof(pluma_cuda_module) || !m->device || !m->ops))
    why = path + ": its tables differ from this pluma's at the same interface version: a module from another build";
  if (!why.empty()) {
    r.why = "the CUDA backend could not be loaded (" + why + ")";
    return r;
  }
  r.module = m;
  loaded_module.store(m, std::memory_order_release);
#else
  r.why = "this build has no CUDA backend (configured without nvcc, or with -DPLUMA_CUDA=OFF)";
#endif
  return r;
}

}  // namespace

const pluma_cuda_module* cuda_module(std::string* why) {
  static const load_result result = load();   // once, thread-safe
  if (why) *why = result.why;
  return result.module;
}

const pluma_cuda_module* cuda_module_if_loaded() { return loaded_module.load(std::memory_order_acquire); }

status cuda_backend_load() {
  std::string why;
  return cuda_module(&why) ? status::ok() : status::error(why);
}

}  // namespace pluma
