#include "train/nccl_communicator.h"

#include <string>

#ifdef PLUMA_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace pluma {

bool nccl_compiled() {
#ifdef PLUMA_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

#ifdef PLUMA_HAVE_NCCL
namespace {

class nccl_communicator final : public communicator {
 public:
  explicit nccl_communicator(communicator& host) : host_(host) {}
  ~nccl_communicator() override {
    if (comm_) ncclCommDestroy(comm_);
  }

  status open() {
    ncclUniqueId id{};
    ncclResult_t r = ncclSuccess;
    if (host_.rank() == 0) r = ncclGetUniqueId(&id);
    PLUMA_TRY(distributed_agree(host_, r == ncclSuccess ? status::ok() : failure("ncclGetUniqueId", r)));
    host_.broadcast(&id, sizeof id, 0);
    r = ncclCommInitRank(&comm_, host_.size(), id, host_.rank());
    return distributed_agree(host_, r == ncclSuccess ? status::ok() : failure("ncclCommInitRank", r));
  }

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  const char* backend() const override { return "MPI, gradients by NCCL"; }
  void allreduce_sum(float* data, size_t n) override {
    host_.allreduce_sum(data, n);
    bytes_reduced_ += n * sizeof(float);
  }
  bool allreduce_mean_device(const exec_context& ctx, float* data, size_t n) override {
    if (ctx.dev != device::cuda) return false;
    const ncclResult_t r = ncclAllReduce(data, data, n, ncclFloat, ncclAvg, comm_, static_cast<cudaStream_t>(ctx.stream));
    if (r != ncclSuccess) host_.abort(failure("ncclAllReduce", r).message(), 1);
    bytes_reduced_ += n * sizeof(float);
    return true;
  }
  int allreduce_min(int value) override { return host_.allreduce_min(value); }
  int allreduce_max(int value) override { return host_.allreduce_max(value); }
  void broadcast(void* data, size_t bytes, int root) override { host_.broadcast(data, bytes, root); }
  void barrier() override { host_.barrier(); }
  void finalize() override { host_.finalize(); }
  [[noreturn]] void abort(const std::string& message, int code) override { host_.abort(message, code); }

 private:
  static status failure(const char* call, ncclResult_t r) {
    return status::error(std::string("NCCL: ") + call + " failed: " + ncclGetErrorString(r));
  }
  communicator& host_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace
#endif

status nccl_communicator_open(communicator& host, std::unique_ptr<communicator>& out) {
#ifdef PLUMA_HAVE_NCCL
  auto c = std::make_unique<nccl_communicator>(host);
  PLUMA_TRY(c->open());
  out = std::move(c);
  return status::ok();
#else
  (void)host;
  (void)out;
  return status::error("this build has no NCCL (it needs the CUDA backend, MPI and libnccl with nccl.h)");
#endif
}

}  // namespace pluma
