// Routes a public op (model/ops/*.h) to its backend by ctx.dev: pluma::cpu::name (model/ops/cpu/) or, in a
// build with the CUDA backend, pluma::cuda::name (model/ops/cuda/backend.h, same signatures).
#pragma once
#include "model/core/check.h"
#include "model/core/exec.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/op_profile.h"
#include "model/ops/operand.h"

#ifdef PLUMA_HAVE_CUDA
#include "model/ops/cuda/backend.h"
#define PLUMA_DISPATCH_CUDA(name, ctx, ...) return ::pluma::cuda::name(ctx, __VA_ARGS__)
#else
#define PLUMA_DISPATCH_CUDA(name, ctx, ...) \
  PLUMA_CHECK(false, #name ": this build has no CUDA backend (rebuild where nvcc is found)")
#endif

#define PLUMA_DISPATCH(name, ctx, ...)                                  \
  ::pluma::op_profile_scope pluma_op_profile_(#name);                   \
  switch ((ctx).dev) {                                                  \
    case ::pluma::device::cpu: return ::pluma::cpu::name(ctx, __VA_ARGS__); \
    case ::pluma::device::cuda: PLUMA_DISPATCH_CUDA(name, ctx, __VA_ARGS__); \
  }                                                                     \
  PLUMA_CHECK(false, #name ": unknown device")

// An op with no CUDA kernel yet: the same profiling and dispatch, and on a CUDA context a message that says
// so. Models that use such ops refuse --device cuda before any op runs (the CLI says "runs on the CPU only"),
// so reaching it is a bug in the caller, an invariant, not a user's mistake.
#define PLUMA_DISPATCH_CPU_ONLY(name, ctx, ...)                                   \
  ::pluma::op_profile_scope pluma_op_profile_(#name);                            \
  PLUMA_CHECK((ctx).dev == ::pluma::device::cpu, #name ": no CUDA kernel yet (a CPU-only op on a CUDA context)"); \
  return ::pluma::cpu::name(ctx, __VA_ARGS__)

namespace pluma {

// An operand bound for a backend that reads fp32 only (CUDA rounds on the fly): bf16 copies are the CPU's, and
// the models keep them only there, so one here is a bug in the caller.
inline const float* fp32_only(const operand& x, const char* op) {
  PLUMA_CHECK(!x.is_bf16(), op);
  return x.f32;
}
inline float* fp32_only(const operand_out& x, const char* op) {
  PLUMA_CHECK(!x.is_bf16(), op);
  return x.f32;
}

}  // namespace pluma
