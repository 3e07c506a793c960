// distributed: the processes of one data-parallel training run and the few collective operations it needs.
//
//   communicator      rank, size; allreduce_sum / allreduce_mean over a float block (in a few large buckets);
//                     min / max of an int; broadcast; barrier; finalize; abort with a message. Two implementations:
//                       single process  every operation is the identity (a build without MPI, or a process not
//                                       started by an MPI launcher)
//                       MPI             (PLUMA_HAVE_MPI) when the process was started by mpirun / mpiexec / srun:
//                                       MPI_Init happens then only, so `pluma --help` or a plain `pluma train`
//                                       never touch MPI.
//   GPUs: train/nccl_communicator.h wraps the MPI communicator and averages gradients in device memory with
//   NCCL (allreduce_mean_device); without it the trainer copies them to the host for MPI and back.
//
// Data parallelism, as the trainer uses it: every rank draws the same global batch (B rows) from the same
// sampler stream and computes rows [first, first + count) of it (batch_slice); the gradients (means over each
// rank's B/n rows) are averaged, which is the mean over all B*T targets because every rank holds as many rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "model/core/exec.h"
#include "model/core/status.h"

namespace pluma {

class communicator {
 public:
  virtual ~communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual const char* backend() const = 0;   // "single process", "MPI"

  // data: (n) the same n on every rank; on return every rank holds the element-wise sum, reduced in buckets
  // of at most allreduce_bucket_floats. (Open MPI gives every rank the same bits; the trainer checks that its
  // ranks stay bit-identical at every checkpoint.)
  virtual void allreduce_sum(float* data, size_t n) = 0;
  // The element-wise mean: the sum scaled by 1/size.
  virtual void allreduce_mean(float* data, size_t n);
  // The same for data: (n) in the device memory of ctx (a GPU) when this communicator can reduce there
  // (NCCL), returning true; false (the default) leaves data alone: the caller goes through the host.
  virtual bool allreduce_mean_device(const exec_context& ctx, float* data, size_t n) { return false; }
  virtual int allreduce_min(int value) = 0;
  virtual int allreduce_max(int value) = 0;
  // data: (bytes) overwritten on every rank but root by root's.
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  virtual void barrier() = 0;
  // Ends this process's part in the collective run (MPI_Finalize); every rank must call it. Idempotent.
  virtual void finalize() = 0;
  // Ends the whole job from one rank, writing "pluma: rank R of N: message" to stderr first.
  [[noreturn]] virtual void abort(const std::string& message, int code) = 0;

  // Bytes passed through allreduce_mean since the start (each rank's block, counted once).
  size_t bytes_reduced() const { return bytes_reduced_; }

  static constexpr size_t allreduce_bucket_floats = size_t(1) << 24;   // 64 MiB

 protected:
  size_t bytes_reduced_ = 0;
};

// How this process was started, read from the launcher's environment without any MPI call:
// OMPI_COMM_WORLD_{RANK,SIZE} (Open MPI), PMI_{RANK,SIZE} (MPICH, Intel MPI, srun --mpi=pmi2), PMIX_RANK.
struct launch_info {
  bool launched = false;   // an MPI launcher started us
  int rank = 0;
  int local_rank = 0;      // among the ranks on this host (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID,
                           // SLURM_LOCALID; else the rank): which GPU of the host a rank takes
  int size = 1;            // 0 when the launcher tells the rank only (PMIx)
};
launch_info launch_info_from_env();

// The communicator of this run: MPI when launched by an MPI launcher and built with MPI, else a single
// process. Errors: launched as one of several processes by a build without MPI; MPI_Init failing.
status communicator_open(std::unique_ptr<communicator>& out);
// The single-process communicator (for tests and library users that train in one process).
communicator& single_process_communicator();

// Collective error handling: every rank passes its own status and gets the same result: ok when every rank
// was ok, else the error of the lowest failing rank ("rank 3: <its message>" when that rank is not 0).
status distributed_agree(communicator& c, const status& local);
// Fails on every rank when some rank's `value` differs from rank 0's: "rank R's <what> differs from rank 0's".
status distributed_check_same(communicator& c, uint64_t value, const std::string& what);

// The rows of a B-row global batch that one rank computes.
struct batch_slice {
  int first = 0;   // row
  int count = 0;   // rows; B / size
};
batch_slice batch_slice_of(int B, int rank, int size);
// data: (L, B, H), where each rank computed only the rows (axis B) of its batch_slice (e.g. the recurrent state
// that truncated BPTT carries per row): on return every rank holds every rank's rows (the others' rows are
// zeroed and the blocks summed: exact, one non-zero term per element).
void distributed_gather_rows(communicator& c, float* data, int L, int B, int H);
// Refuses a global batch that does not split into `size` equal slices of grad_accum equal micro-batches.
status distributed_check_batch(int batch, int grad_accum, int size);

// FNV-1a over bytes, to compare state across ranks.
uint64_t bytes_hash(const void* data, size_t bytes, uint64_t h = 1469598103934665603ULL);

}  // namespace pluma
