#include "train/nccl_communicator.h"

#include <string>
#include <vector>

#include "model/core/cuda_module.h"

namespace pluma {

bool nccl_compiled() {
#ifdef PLUMA_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

namespace {

// NCCL's calls are in the CUDA module (its NCCL table, model/core/cuda_api.h).
class nccl_communicator final : public communicator {
 public:
  nccl_communicator(communicator& host, const pluma_cuda_nccl_api& nccl) : host_(host), nccl_(nccl) {}
  ~nccl_communicator() override {
    if (comm_) nccl_.comm_destroy(comm_);
  }

  status open() {
    std::vector<unsigned char> id(nccl_.id_bytes);
    const char* err = host_.rank() == 0 ? nccl_.get_unique_id(id.data()) : nullptr;
    PLUMA_TRY(distributed_agree(host_, failure("ncclGetUniqueId", err)));
    host_.broadcast(id.data(), id.size(), 0);
    err = nccl_.comm_init_rank(&comm_, host_.size(), id.data(), host_.rank());
    return distributed_agree(host_, failure("ncclCommInitRank", err));
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
    const status st = failure("ncclAllReduce", nccl_.allreduce_avg(comm_, data, n, ctx.stream));
    if (!st) host_.abort(st.message(), 1);
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
  // ok when `err` is nullptr
  static status failure(const char* call, const char* err) {
    return err ? status::error(std::string("NCCL: ") + call + " failed: " + err) : status::ok();
  }
  communicator& host_;
  const pluma_cuda_nccl_api& nccl_;
  void* comm_ = nullptr;
};

}  // namespace

status nccl_communicator_open(communicator& host, std::unique_ptr<communicator>& out) {
  if (!nccl_compiled())
    return status::error("this build has no NCCL (it needs the CUDA backend, MPI and libnccl with nccl.h)");
  std::string why;
  const pluma_cuda_module* m = cuda_module(&why);
  if (!m) return status::error(why);
  if (!m->nccl) return status::error("the CUDA backend module was built without NCCL");
  auto c = std::make_unique<nccl_communicator>(host, *m->nccl);
  PLUMA_TRY(c->open());
  out = std::move(c);
  return status::ok();
}

}  // namespace pluma
