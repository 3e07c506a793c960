// Routes a public op (model/ops/*.h) to its backend by ctx.dev: pluma::cpu::name (model/ops/cpu/) or, in a
// build with the CUDA backend, pluma::cuda::name (model/ops/cuda/backend.h, same signatures).
#pragma once
#include "model/core/check.h"
#include "model/core/exec.h"
#include "model/ops/cpu/backend.h"

#ifdef PLUMA_HAVE_CUDA
#include "model/ops/cuda/backend.h"
#define PLUMA_DISPATCH_CUDA(name, ctx, ...) return ::pluma::cuda::name(ctx, __VA_ARGS__)
#else
#define PLUMA_DISPATCH_CUDA(name, ctx, ...) \
  PLUMA_CHECK(false, #name ": this build has no CUDA backend (rebuild where nvcc is found)")
#endif

#define PLUMA_DISPATCH(name, ctx, ...)                                  \
  switch ((ctx).dev) {                                                  \
    case ::pluma::device::cpu: return ::pluma::cpu::name(ctx, __VA_ARGS__); \
    case ::pluma::device::cuda: PLUMA_DISPATCH_CUDA(name, ctx, __VA_ARGS__); \
  }                                                                     \
  PLUMA_CHECK(false, #name ": unknown device")
