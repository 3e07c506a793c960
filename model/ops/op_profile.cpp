#include "model/ops/op_profile.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace pluma {

namespace {

struct op_total {
  long calls = 0;
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // the calling thread's CPU time
};

// The table, written to the PLUMA_PROFILE file when the program exits.
struct profile_table {
  std::string path;
  std::mutex mu;
  std::map<std::string, op_total> ops;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  ~profile_table() {
    if (path.empty()) return;
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return;
    std::vector<std::pair<std::string, op_total>> rows(ops.begin(), ops.end());
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.second.seconds > b.second.seconds; });
    double sum = 0, cpu_sum = 0;
    for (auto& r : rows) sum += r.second.seconds, cpu_sum += r.second.cpu_seconds;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(f, "%-24s %10s %12s %12s %8s\n", "op", "calls", "wall_ms", "cpu_ms", "share");
    for (auto& [name, t] : rows)
      std::fprintf(f, "%-24s %10ld %12.2f %12.2f %7.1f%%\n", name.c_str(), t.calls, t.seconds * 1e3,
                   t.cpu_seconds * 1e3, 100.0 * t.seconds / std::max(sum, 1e-12));
    std::fprintf(f, "ops total %.2f ms wall (%.2f ms CPU of the calling thread) of %.2f ms since the first op\n",
                 sum * 1e3, cpu_sum * 1e3, wall * 1e3);
    std::fclose(f);
  }
};

profile_table* table() {
  static profile_table* t = [] {
    const char* p = std::getenv("PLUMA_PROFILE");
    if (!p || !*p) return static_cast<profile_table*>(nullptr);
    static profile_table tab;
    tab.path = p;
    return &tab;
  }();
  return t;
}

}  // namespace

bool op_profile_enabled() {
  static const bool on = table() != nullptr;
  return on;
}

double op_profile_thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

void op_profile_add(const char* op, double wall_seconds, double cpu_seconds) {
  profile_table* t = table();
  if (!t) return;
  std::lock_guard<std::mutex> lock(t->mu);
  op_total& o = t->ops[op];
  o.calls++;
  o.seconds += wall_seconds;
  o.cpu_seconds += cpu_seconds;
}

}  // namespace pluma
