// bench_allreduce: the gradient all-reduce (communicator::allreduce_mean) at sizes from one float to a
// GPT-2-small gradient arena, run under the launcher:
//   mpirun -np 2 build/bench_allreduce [max_floats [min_floats]]   (sizes min, 4 min, ... up to max)
// Checks the result first (rank r fills r + i % 7; the mean is (n-1)/2 + i % 7), then times it. Rank 0 prints
// per size: the median and the fastest time (on a shared machine the fastest is the uncontended one), and from
// the fastest the algorithm bandwidth (bytes / time) and the bus bandwidth (x 2(n-1)/n: what each rank sends and
// receives in a ring, comparable across rank counts), as a table and as one JSON line per size. Times are each
// rank's, averaged over the ranks (they wait for each other, so they agree closely).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "train/distributed.h"

using namespace pluma;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void fill(std::vector<float>& v, size_t n, int rank) {
  for (size_t i = 0; i < n; i++) v[i] = static_cast<float>(rank + static_cast<int>(i % 7));
}

}  // namespace

int main(int argc, char** argv) {
  size_t max_floats = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : size_t(124) << 20;
  size_t min_floats = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  if (max_floats < 1 || min_floats < 1 || min_floats > max_floats) {
    std::fprintf(stderr, "usage: bench_allreduce [max_floats [min_floats]] with 1 <= min_floats <= max_floats\n");
    return 2;
  }
  std::unique_ptr<communicator> comm;
  status st = communicator_open(comm);
  if (!st) {
    std::fprintf(stderr, "bench_allreduce: %s\n", st.message().c_str());
    return 1;
  }
  communicator& c = *comm;
  const int n = c.size();
  if (c.rank() == 0)
    std::printf("all-reduce (%s, %d ranks): floats, median ms, fastest ms, algbw GB/s, busbw GB/s\n", c.backend(), n);
  std::vector<float> buf(max_floats);
  for (size_t count = min_floats;; count = std::min(max_floats, count * 4)) {
    fill(buf, count, c.rank());
    c.allreduce_mean(buf.data(), count);
    const float base = static_cast<float>(n - 1) / 2.0f;
    int bad = 0;
    for (size_t i = 0; i < count; i++)
      if (std::fabs(buf[i] - (base + static_cast<float>(i % 7))) > 1e-5f) bad = 1;
    if (c.allreduce_max(bad)) {
      if (c.rank() == 0) std::fprintf(stderr, "bench_allreduce: wrong mean at %zu floats\n", count);
      c.finalize();
      return 1;
    }
    const int reps = count <= (1 << 16) ? 200 : count <= (1 << 22) ? 20 : 5;
    std::vector<double> times;
    for (int r = 0; r < reps; r++) {
      c.barrier();
      double t0 = now_s();
      c.allreduce_mean(buf.data(), count);
      times.push_back(now_s() - t0);
    }
    std::sort(times.begin(), times.end());
    float t[2] = {static_cast<float>(times[times.size() / 2]), static_cast<float>(times[0])};   // median, fastest
    c.allreduce_mean(t, 2);
    if (c.rank() == 0) {
      double bytes = static_cast<double>(count) * sizeof(float);
      double algbw = bytes / t[1] / 1e9, busbw = algbw * 2.0 * (n - 1) / n;
      std::printf("%12zu %10.4f %10.4f %8.3f %8.3f\n", count, t[0] * 1e3, t[1] * 1e3, algbw, busbw);
      std::printf("{\"ranks\":%d,\"floats\":%zu,\"median_ms\":%.6f,\"fastest_ms\":%.6f,\"algbw_gbs\":%.4f,"
                  "\"busbw_gbs\":%.4f}\n", n, count, t[0] * 1e3, t[1] * 1e3, algbw, busbw);
      std::fflush(stdout);
    }
    if (count == max_floats) break;
  }
  c.finalize();
  return 0;
}
