// Loading the CUDA backend module (model/core/cuda_api.h) on first use, once per process (thread-safe). Where:
//   1. $PLUMA_CUDA_LIBRARY, when set (and then only there);
//   2. libpluma_cuda.so beside the running executable (/proc/self/exe);
//   3. the plain name, through the dynamic loader's search path.
// A build without the CUDA backend never loads anything: the error says so.
#pragma once
#include <string>

#include "model/core/cuda_api.h"
#include "model/core/status.h"

namespace pluma {

// The module's tables, loading it if need be; nullptr when it cannot be loaded, with `why` set to one line
// ("the CUDA backend could not be loaded (<the loader's message>)" or "this build has no CUDA backend ...").
// The answer, either way, is the same for the whole process.
const pluma_cuda_module* cuda_module(std::string* why = nullptr);

// The module if it is loaded already, else nullptr: never loads it.
const pluma_cuda_module* cuda_module_if_loaded();

// cuda_module() as a status, for callers that only need to know whether the backend is there.
status cuda_backend_load();

}  // namespace pluma
