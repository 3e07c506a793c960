#include "train/distributed.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef PLUMA_HAVE_MPI
#include <mpi.h>
#endif

namespace pluma {

namespace {

void write_rank_message(int rank, int size, const std::string& message) {
  std::fprintf(stderr, "pluma: rank %d of %d: %s\n", rank, size, message.c_str());
  std::fflush(stderr);
}

class single_communicator final : public communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  const char* backend() const override { return "single process"; }
  void allreduce_sum(float*, size_t n) override { bytes_reduced_ += n * sizeof(float); }
  int allreduce_min(int value) override { return value; }
  int allreduce_max(int value) override { return value; }
  void broadcast(void*, size_t, int) override {}
  void barrier() override {}
  void finalize() override {}
  [[noreturn]] void abort(const std::string& message, int code) override {
    write_rank_message(0, 1, message);
    std::exit(code);
  }
};

#ifdef PLUMA_HAVE_MPI
class mpi_communicator final : public communicator {
 public:
  status open() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return status::error("MPI_Init failed: check the MPI installation and the mpirun command line");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    return status::ok();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "MPI"; }

  void allreduce_sum(float* data, size_t n) override {
    for (size_t off = 0; off < n; off += allreduce_bucket_floats) {
      int count = static_cast<int>(std::min(allreduce_bucket_floats, n - off));
      MPI_Allreduce(MPI_IN_PLACE, data + off, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    bytes_reduced_ += n * sizeof(float);
  }
  int allreduce_min(int value) override { return reduce_int(value, MPI_MIN); }
  int allreduce_max(int value) override { return reduce_int(value, MPI_MAX); }
  void broadcast(void* data, size_t bytes, int root) override {
    constexpr size_t chunk = size_t(1) << 30;
    auto* p = static_cast<char*>(data);
    for (size_t off = 0; off < bytes; off += chunk)
      MPI_Bcast(p + off, static_cast<int>(std::min(chunk, bytes - off)), MPI_BYTE, root, MPI_COMM_WORLD);
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  void finalize() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
  [[noreturn]] void abort(const std::string& message, int code) override {
    write_rank_message(rank_, size_, message);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);   // MPI_Abort does not return; this satisfies [[noreturn]]
  }

 private:
  int reduce_int(int value, MPI_Op op) {
    int out = value;
    MPI_Allreduce(&value, &out, 1, MPI_INT, op, MPI_COMM_WORLD);
    return out;
  }
  int rank_ = 0, size_ = 1;
};
#endif

// A non-negative integer environment variable; -1 when absent or malformed.
int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return -1;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return *end == '\0' && x >= 0 && x < (1L << 30) ? static_cast<int>(x) : -1;
}

}  // namespace

void communicator::allreduce_mean(float* data, size_t n) {
  allreduce_sum(data, n);
  if (size() == 1) return;
  const float scale = 1.0f / static_cast<float>(size());
  const long len = static_cast<long>(n);
#pragma omp parallel for schedule(static) if (len > (1 << 16))
  for (long i = 0; i < len; i++) data[i] *= scale;
}

launch_info launch_info_from_env() {
  launch_info li;
  const char* pairs[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"}, {"PMI_RANK", "PMI_SIZE"},
                            {"PMIX_RANK", nullptr}};
  for (const auto& p : pairs) {
    int r = env_int(p[0]);
    if (r < 0) continue;
    li.launched = true;
    li.rank = li.local_rank = r;
    li.size = p[1] ? std::max(0, env_int(p[1])) : 0;
    for (const char* local : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
      if (env_int(local) >= 0) {
        li.local_rank = env_int(local);
        break;
      }
    return li;
  }
  return li;
}

communicator& single_process_communicator() {
  static single_communicator c;
  return c;
}

status communicator_open(std::unique_ptr<communicator>& out) {
  launch_info li = launch_info_from_env();
  if (!li.launched) {
    out = std::make_unique<single_communicator>();
    return status::ok();
  }
#ifdef PLUMA_HAVE_MPI
  auto c = std::make_unique<mpi_communicator>();
  PLUMA_TRY(c->open());
  out = std::move(c);
  return status::ok();
#else
  if (li.size == 1) {
    out = std::make_unique<single_communicator>();
    return status::ok();
  }
  return status::error("this pluma was built without MPI, yet an MPI launcher started it as rank " +
                       std::to_string(li.rank) + (li.size > 1 ? " of " + std::to_string(li.size) : "") +
                       "; rebuild with MPI (Debian: libopenmpi-dev) or run it without mpirun");
#endif
}

status distributed_agree(communicator& c, const status& local) {
  if (c.size() == 1) return local;
  const int first = c.allreduce_min(local ? c.size() : c.rank());
  if (first == c.size()) return status::ok();
  std::string msg = local.message();
  uint64_t len = msg.size();
  c.broadcast(&len, sizeof len, first);
  msg.resize(len);
  c.broadcast(msg.data(), len, first);
  return status::error(first == 0 ? msg : "rank " + std::to_string(first) + ": " + msg);
}

status distributed_check_same(communicator& c, uint64_t value, const std::string& what) {
  if (c.size() == 1) return status::ok();
  uint64_t root = value;
  c.broadcast(&root, sizeof root, 0);
  const int first = c.allreduce_min(root == value ? c.size() : c.rank());
  if (first == c.size()) return status::ok();
  return status::error("rank " + std::to_string(first) + "'s " + what + " differs from rank 0's");
}

batch_slice batch_slice_of(int B, int rank, int size) {
  const int count = B / size;
  return {rank * count, count};
}

void distributed_gather_rows(communicator& c, float* data, int L, int B, int H) {
  if (c.size() == 1) return;
  const batch_slice mine = batch_slice_of(B, c.rank(), c.size());
  for (int l = 0; l < L; l++) {
    float* layer = data + static_cast<size_t>(l) * B * H;
    std::fill(layer, layer + static_cast<size_t>(mine.first) * H, 0.0f);
    std::fill(layer + static_cast<size_t>(mine.first + mine.count) * H, layer + static_cast<size_t>(B) * H, 0.0f);
  }
  c.allreduce_sum(data, static_cast<size_t>(L) * B * H);
}

status distributed_check_batch(int batch, int grad_accum, int size) {
  if (size <= 1 || batch % (static_cast<long>(size) * grad_accum) == 0) return status::ok();
  std::string accum = grad_accum > 1 ? " x --grad-accum " + std::to_string(grad_accum) : "";
  return status::error("--batch " + std::to_string(batch) + " (the global batch) does not split evenly over " +
                       std::to_string(size) + " ranks" + accum + "; give a --batch divisible by " +
                       std::to_string(static_cast<long>(size) * grad_accum));
}

uint64_t bytes_hash(const void* data, size_t bytes, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 1099511628211ULL;
    h ^= h >> 29;
  }
  for (; i < bytes; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

}  // namespace pluma
