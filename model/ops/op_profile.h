// op_profile: per-op wall-clock totals for finding where a step's time goes. Off unless the environment
// variable PLUMA_PROFILE names a file; then every dispatched op (model/ops/dispatch.h) is timed and, at
// exit, a table (op, calls, wall ms, CPU ms of the calling thread, share) is written to that file. The
// calling thread's CPU time is the steadier figure on a loaded machine (time spent descheduled is not in it);
// with one thread it is the op's whole cost. Lanes (train/lanes.h) time their ops on their own threads, so a
// run in lanes adds up the lanes' times: the table's totals may exceed the time elapsed (its last line gives
// both). Costs one predictable branch when off.
#pragma once
#include <chrono>

namespace pluma {

bool op_profile_enabled();
double op_profile_thread_cpu_seconds();
void op_profile_add(const char* op, double wall_seconds, double cpu_seconds);

// Times the enclosing scope under `op` (a string literal) when profiling is on. Only the outermost op of a
// thread is timed: an op that calls other public ops (the LSTM's matmuls) owns their time, so the shares of
// the table add up to the whole.
class op_profile_scope {
 public:
  explicit op_profile_scope(const char* op) : op_(op_profile_enabled() && depth()++ == 0 ? op : nullptr) {
    if (op_) t0_ = std::chrono::steady_clock::now(), cpu0_ = op_profile_thread_cpu_seconds();
  }
  ~op_profile_scope() {
    if (!op_profile_enabled()) return;
    --depth();
    if (op_)
      op_profile_add(op_, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(),
                     op_profile_thread_cpu_seconds() - cpu0_);
  }
  op_profile_scope(const op_profile_scope&) = delete;
  op_profile_scope& operator=(const op_profile_scope&) = delete;

 private:
  static int& depth() {
    static thread_local int d = 0;
    return d;
  }
  const char* op_;
  std::chrono::steady_clock::time_point t0_;
  double cpu0_ = 0;
};

}  // namespace pluma
