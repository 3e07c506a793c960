#include "model/core/threads.h"

#include <omp.h>

#include <atomic>

namespace pluma {

namespace {
std::atomic<int> wanted{0};    // 0: never set (OpenMP's default, OMP_NUM_THREADS or every core)
thread_local int adopted = 0;  // what this thread last took
}  // namespace

void threads_set(int n) {
  wanted.store(n);
  omp_set_num_threads(n);
  adopted = n;
}

void threads_adopt() {
  const int n = wanted.load(std::memory_order_relaxed);
  if (n > 0 && n != adopted) {
    omp_set_num_threads(n);
    adopted = n;
  }
}

}  // namespace pluma
