// exec_context: where and how an op runs. Ops take raw pointers with named dimensions
// (B, T, C, NH, V, L as in llm.c) plus this context; the op header dispatches on ctx.dev.
#pragma once

namespace pluma {

enum class device { cpu, cuda };

struct exec_context {
  device dev = device::cpu;
  void* stream = nullptr;   // cudaStream_t when dev == cuda
};

inline const exec_context& cpu_context() {
  static const exec_context ctx{};
  return ctx;
}

}  // namespace pluma
