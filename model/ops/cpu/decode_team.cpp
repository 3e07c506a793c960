#include "model/ops/cpu/decode_team.h"

#include <omp.h>
#include <sched.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace pluma::cpu {

namespace {

constexpr int pieces_per_member = 4;   // a member's share in pieces, so that a late helper's can be taken over
constexpr int max_helpers = 15;
// After its last piece a helper spins for helper_spin (a token's loops come a few microseconds apart), then
// naps for helper_nap at a time until helper_doze has passed, then sleeps until a caller wakes it. A futex
// wake-up takes up to a millisecond on this project's VM when the other vCPU is idle, a hundred loops; a nap
// ends within about 0.1 ms and costs no CPU time to speak of.
constexpr auto helper_spin = std::chrono::microseconds(200);
constexpr auto helper_nap = std::chrono::microseconds(50);
constexpr auto helper_doze = std::chrono::milliseconds(100);
// When the helpers have run no piece of any loop for this long (they are descheduled: the machine has other
// work; a sleeping helper wakes well within it), the caller runs the next solo_loops loops alone, so that
// spinning helpers stop taking CPU time from it; then it tries them again.
constexpr auto misses_before_solo = std::chrono::milliseconds(5);
constexpr int solo_loops = 2048;
// Team or alone, chosen by timing: a hand-off costs one or two cross-core round trips, which on this
// project's VM take 0.1 us in some hours and 0.5 us in others, when two threads lose to one. The caller runs
// stretches of stretch_loops loops in one mode, then a trial of trial_loops in the other, and goes on with the
// mode whose median time per unit of work was lower (by 5%: a tie keeps the mode). The first stretch is short.
constexpr int stretch_loops = 4096, first_stretch = 512, trial_loops = 256;

// A helper's share of the current loop: pieces [front, back) not taken yet, under the loop's number (epoch),
// in one word, so that the helper (from the front) and the caller (from the back) take pieces by one
// compare-and-swap that also proves the loop is still the one they read.
inline uint64_t pack(uint32_t epoch, uint32_t front, uint32_t back) {
  return uint64_t(epoch) << 32 | uint64_t(front) << 16 | back;
}
inline uint32_t epoch_of(uint64_t w) { return uint32_t(w >> 32); }
inline uint32_t front_of(uint64_t w) { return uint32_t(w >> 16) & 0xffff; }
inline uint32_t back_of(uint64_t w) { return uint32_t(w) & 0xffff; }

// The loop being run. A helper reads it only after it has claimed a piece of this loop, and the caller writes
// the next one only when every claimed piece is done; atomics all the same, so that no reading is a race.
struct job {
  std::atomic<team_piece_fn> fn{nullptr};
  std::atomic<void*> arg{nullptr};
  std::atomic<long> n{0}, align{1};
  std::atomic<int> pieces{1};
};

// What the caller writes for one helper, in one cache line, so that the helper gets the loop and its share
// in one transfer: the share word, the loop (a copy per helper), and the sleep handshake (rarely touched).
struct alignas(64) slot {
  std::atomic<uint64_t> word{0};
  job jb;
  std::atomic<uint32_t> sleeping{0};
  std::atomic<uint32_t> bell{0};       // bumped to wake a sleeping helper
};

// What one helper writes, in a line of its own: the caller reads `done` only when it has run its share.
struct alignas(64) helper_line {
  std::atomic<uint32_t> done{0};       // pieces the helper has finished, since it started
  std::atomic<long> pieces_run{0};     // since the process started
};

// The caller's counts, in a line of their own.
struct alignas(64) counters {
  std::atomic<long> loops{0}, solo{0}, taken_over{0};
};

std::atomic<int> helper_delay_us{0};
thread_local bool on_team = false;   // a helper, or a caller inside its loop: a nested loop runs alone

// A spinning thread's pause: lets the core's other hardware thread run and saves power.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

void run_piece(const job& jb, int piece) {
  const long n = jb.n.load(std::memory_order_relaxed), align = jb.align.load(std::memory_order_relaxed);
  const int pieces = jb.pieces.load(std::memory_order_relaxed);
  const long units = (n + align - 1) / align;
  const long i0 = std::min(n, units * piece / pieces * align);
  const long i1 = std::min(n, units * (piece + 1) / pieces * align);
  if (i0 < i1) jb.fn.load(std::memory_order_relaxed)(jb.arg.load(std::memory_order_relaxed), i0, i1);
}

class team {
 public:
  std::mutex caller;   // one caller at a time has the team
  job jb;              // the caller's copy of the loop
  counters count;
  std::unique_ptr<slot[]> slots{new slot[max_helpers]};
  std::unique_ptr<helper_line[]> lines{new helper_line[max_helpers]};
  uint32_t done_before[max_helpers] = {};   // each helper's `done` when this loop began
  int helpers = 0;
  uint32_t epoch = 0;
  // the caller's: whether the last loops had no helper's piece, since when; loops left to run alone
  bool missing = false;
  std::chrono::steady_clock::time_point missing_since;
  int solo_left = 0;
  // the caller's choice between team and alone (stretch_loops above)
  bool prefer_alone = false;
  int stretch_left = first_stretch;   // loops of this stretch before its trial
  int trial_left = 0;                 // loops of the trial still to run; 0 outside a trial
  std::vector<double> recent, trial;  // nanoseconds per unit of work: the stretch's last loops, the trial's

  bool alone_now() const { return trial_left > 0 ? !prefer_alone : prefer_alone; }

  static double median(std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
  }

  // Records a loop's time per unit of work, run as alone_now() said, and moves the choice on.
  void record(double rate) {
    if (trial_left > 0) {
      trial.push_back(rate);
      if (--trial_left > 0) return;
      if (!recent.empty() && median(trial) < 0.95 * median(recent)) prefer_alone = !prefer_alone;
      recent.clear();
      trial.clear();
      stretch_left = stretch_loops;
      return;
    }
    if (stretch_left <= trial_loops) recent.push_back(rate);
    if (--stretch_left <= 0) trial_left = trial_loops;
  }

  void reset_choice() {
    prefer_alone = false;
    stretch_left = first_stretch;
    trial_left = 0;
    recent.clear();
    trial.clear();
  }

  // Starts helpers up to `wanted`; returns how many there are (fewer when the system refuses a thread).
  int grow(int wanted) {
    try {
      for (; helpers < wanted; helpers++) std::thread([this, h = helpers] { helper_loop(h); }).detach();
    } catch (const std::system_error&) {
    }
    return helpers;
  }

  void helper_loop(int h) {
    on_team = true;
    slot& s = slots[h];
    helper_line& mine = lines[h];
    uint32_t seen = epoch_of(s.word.load(std::memory_order_acquire));
    auto idle_since = std::chrono::steady_clock::now();
    for (int spins = 0;; spins++) {
      uint64_t w = s.word.load(std::memory_order_acquire);
      if (epoch_of(w) != seen) {
        seen = epoch_of(w);
        if (int d = helper_delay_us.load(std::memory_order_relaxed)) {   // tests: late to this loop
          std::this_thread::sleep_for(std::chrono::microseconds(d));
          w = s.word.load(std::memory_order_acquire);
        }
        while (epoch_of(w) == seen && front_of(w) < back_of(w)) {
          const uint32_t piece = front_of(w);
          if (!s.word.compare_exchange_weak(w, pack(seen, piece + 1, back_of(w)), std::memory_order_acq_rel,
                                            std::memory_order_acquire))
            continue;   // w reloaded: the caller took one, or this loop is over
          run_piece(s.jb, int(piece));
          mine.pieces_run.store(mine.pieces_run.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
          mine.done.store(mine.done.load(std::memory_order_relaxed) + 1, std::memory_order_release);
          w = s.word.load(std::memory_order_acquire);
        }
        idle_since = std::chrono::steady_clock::now();
        spins = 0;
        continue;
      }
      cpu_relax();
      if ((spins & 255) != 255) continue;
      sched_yield();   // let another thread of this core run (an OpenMP worker, another process)
      const auto idle = std::chrono::steady_clock::now() - idle_since;
      if (idle < helper_spin) continue;
      if (idle < helper_doze) {
        std::this_thread::sleep_for(helper_nap);
        continue;
      }
      // Sleep. The caller stores the word, then looks at `sleeping`; this stores `sleeping`, then looks at
      // the word: one of the two sees the other's store, so a loop is never missed.
      s.sleeping.store(1, std::memory_order_seq_cst);
      const uint32_t b = s.bell.load(std::memory_order_seq_cst);
      if (epoch_of(s.word.load(std::memory_order_seq_cst)) == seen) s.bell.wait(b, std::memory_order_seq_cst);
      s.sleeping.store(0, std::memory_order_relaxed);
      idle_since = std::chrono::steady_clock::now();
    }
  }

  void run(long n, team_piece_fn fn, void* arg, long align, int members) {
    // Up to pieces_per_member pieces each, none of them empty.
    const long units = (n + std::max(1L, align) - 1) / std::max(1L, align);
    const int share = int(std::clamp<long>(units / members, 1, pieces_per_member));
    const int pieces = members * share;
    auto describe = [&](job& j) {
      j.fn.store(fn, std::memory_order_relaxed);
      j.arg.store(arg, std::memory_order_relaxed);
      j.n.store(n, std::memory_order_relaxed);
      j.align.store(std::max(1L, align), std::memory_order_relaxed);
      j.pieces.store(pieces, std::memory_order_relaxed);
    };
    describe(jb);
    const uint32_t e = ++epoch;
    for (int h = 0; h + 1 < members; h++) {
      slot& s = slots[h];
      const uint32_t first = uint32_t((h + 1) * share);
      describe(s.jb);
      s.word.store(pack(e, first, first + share), std::memory_order_seq_cst);
      if (s.sleeping.load(std::memory_order_seq_cst)) {
        s.bell.fetch_add(1, std::memory_order_seq_cst);
        s.bell.notify_one();
      }
    }
    for (int p = 0; p < share; p++) run_piece(jb, p);
    // the pieces no helper has started, from the back of each share
    long taken = 0;
    for (int h = 0; h + 1 < members; h++) {
      slot& s = slots[h];
      uint64_t w = s.word.load(std::memory_order_acquire);
      while (front_of(w) < back_of(w)) {
        if (!s.word.compare_exchange_weak(w, pack(e, front_of(w), back_of(w) - 1), std::memory_order_acq_rel,
                                          std::memory_order_acquire))
          continue;
        run_piece(jb, int(back_of(w) - 1));
        taken++;
        w = s.word.load(std::memory_order_acquire);
      }
    }
    // then wait for those a helper is running
    uint32_t helped = 0;
    for (int h = 0; h + 1 < members; h++) {
      const uint32_t claimed = front_of(slots[h].word.load(std::memory_order_acquire)) - uint32_t((h + 1) * share);
      helped += claimed;
      const uint32_t until = done_before[h] + claimed;
      done_before[h] = until;
      for (int spins = 0; int32_t(lines[h].done.load(std::memory_order_acquire) - until) < 0; spins++) {
        cpu_relax();
        if ((spins & 255) == 255) sched_yield();
      }
    }
    if (helped) {
      missing = false;
    } else if (!missing) {
      missing = true;
      missing_since = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - missing_since >= misses_before_solo) {
      missing = false;
      solo_left = solo_loops;
    }
    count.loops.fetch_add(1, std::memory_order_relaxed);
    count.taken_over.fetch_add(taken, std::memory_order_relaxed);
  }
};

// Never destroyed: its helpers are detached and may still be asleep on it when the process exits.
team& the_team() {
  static team* t = new team;
  return *t;
}

}  // namespace

void team_for_range_fn(long n, long work, team_piece_fn fn, void* arg, long align) {
  if (n <= 0) return;
  const int threads = on_team ? 1 : int(std::min<long>(omp_get_max_threads(), work / team_min_work));
  if (threads <= 1 || n <= std::max(1L, align)) {   // (work under team_min_work: threads is 0)
    fn(arg, 0, n);
    return;
  }
  team& t = the_team();
  std::unique_lock<std::mutex> lock(t.caller, std::try_to_lock);
  if (!lock.owns_lock()) {
    fn(arg, 0, n);
    return;
  }
  if (t.solo_left > 0) {
    t.solo_left--;
    t.count.solo.fetch_add(1, std::memory_order_relaxed);
    lock.unlock();
    fn(arg, 0, n);
    return;
  }
  // no more members than units of work: a member without one would only cost a hand-off
  const long units = (n + std::max(1L, align) - 1) / std::max(1L, align);
  const int members = int(std::min<long>(std::min(t.grow(std::min(threads - 1, max_helpers)), threads - 1) + 1, units));
  if (members == 1) {
    lock.unlock();
    fn(arg, 0, n);
    return;
  }
  const bool alone = t.alone_now();
  const auto t0 = std::chrono::steady_clock::now();
  if (alone) {
    t.count.solo.fetch_add(1, std::memory_order_relaxed);
    on_team = true;   // a loop inside runs alone, as on the team
    fn(arg, 0, n);
  } else {
    on_team = true;
    t.run(n, fn, arg, align, members);
  }
  on_team = false;
  t.record(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / double(work));
}

team_counts team_counts_now() {
  team& t = the_team();
  long by_helpers = 0;
  for (int h = 0; h < max_helpers; h++) by_helpers += t.lines[h].pieces_run.load();
  return {t.count.loops.load(), t.count.solo.load(), by_helpers, t.count.taken_over.load()};
}

void team_try_helpers_now() {
  team& t = the_team();
  std::lock_guard<std::mutex> lock(t.caller);
  t.missing = false;
  t.solo_left = 0;
  t.reset_choice();
}

void team_set_helper_delay_us(int us) { helper_delay_us.store(us); }

}  // namespace pluma::cpu
