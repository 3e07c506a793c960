// The module's NCCL table (model/core/cuda_api.h): the calls train/nccl_communicator.cpp makes to average
// gradients on the GPUs. Built in when libnccl and nccl.h are found (PLUMA_HAVE_NCCL); else no table.
#include "model/core/cuda_api.h"

#ifdef PLUMA_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace pluma::cuda {

#ifdef PLUMA_HAVE_NCCL
namespace {

const char* result(ncclResult_t r) { return r == ncclSuccess ? nullptr : ncclGetErrorString(r); }

const char* get_unique_id(void* id) { return result(ncclGetUniqueId(static_cast<ncclUniqueId*>(id))); }

const char* comm_init_rank(void** comm, int nranks, const void* id, int rank) {
  ncclComm_t c = nullptr;
  const char* err = result(ncclCommInitRank(&c, nranks, *static_cast<const ncclUniqueId*>(id), rank));
  *comm = err ? nullptr : c;
  return err;
}

const char* allreduce_avg(void* comm, float* data, size_t n, void* stream) {
  return result(ncclAllReduce(data, data, n, ncclFloat, ncclAvg, static_cast<ncclComm_t>(comm),
                              static_cast<cudaStream_t>(stream)));
}

void comm_destroy(void* comm) { ncclCommDestroy(static_cast<ncclComm_t>(comm)); }

const pluma_cuda_nccl_api table = {.id_bytes = sizeof(ncclUniqueId), .get_unique_id = get_unique_id,
                                   .comm_init_rank = comm_init_rank, .allreduce_avg = allreduce_avg,
                                   .comm_destroy = comm_destroy};

}  // namespace

extern const pluma_cuda_nccl_api* const nccl_table = &table;
#else
extern const pluma_cuda_nccl_api* const nccl_table = nullptr;
#endif

}  // namespace pluma::cuda
