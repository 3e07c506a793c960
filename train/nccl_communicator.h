// nccl_communicator: data-parallel training on GPUs. It wraps the run's MPI communicator: every host
// operation (losses, flags, broadcasts, the checks between ranks) still goes through MPI, while gradients in
// device memory are averaged in place by ncclAllReduce (ncclAvg) on the trainer's stream, so they never cross
// through the host. The NCCL unique id travels from rank 0 through MPI. NCCL itself is in the CUDA module
// (libpluma_cuda.so, model/core/cuda_module.h), loaded on first use. Built when the CUDA backend, MPI and
// NCCL (libnccl + nccl.h, e.g. /usr/local/cuda) are all found; nccl_compiled() says whether it was.
#pragma once
#include <memory>

#include "model/core/exec.h"
#include "train/distributed.h"

namespace pluma {

bool nccl_compiled();

// A communicator over the same ranks as `host` (which must outlive it) whose allreduce_mean_device runs NCCL
// on ctx's device. Every rank calls it, after selecting its GPU (cuda_use_device) and before allocating on it.
// Errors: a build without NCCL, or NCCL failing to set up (the message is NCCL's).
status nccl_communicator_open(communicator& host, std::unique_ptr<communicator>& out);

}  // namespace pluma
