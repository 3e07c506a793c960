// The OpenMP thread count for a test's scope, restored when it ends (a failed REQUIRE included).
#pragma once
#include <omp.h>

struct threads_scope {
  int saved = omp_get_max_threads();
  explicit threads_scope(int n) { omp_set_num_threads(n); }
  ~threads_scope() { omp_set_num_threads(saved); }
  threads_scope(const threads_scope&) = delete;
  threads_scope& operator=(const threads_scope&) = delete;
};
