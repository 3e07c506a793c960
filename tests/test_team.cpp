// The decode team (model/ops/cpu/decode_team.h): every index once, for any size, alignment, thread count and
// caller count; and a helper that is late (imitating one descheduled) neither loses pieces nor holds the
// caller, who runs them itself.
#include <doctest/doctest.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "model/ops/cpu/decode_team.h"
#include "tests/threads_scope.h"

using namespace pluma::cpu;

namespace {


// Runs one loop over [0, n) that adds 1 to hits[i] and checks the pieces' bounds; returns how many pieces
// ran on a thread other than the caller's.
int one_loop(std::vector<int>& hits, long n, long align, bool& bounds_ok) {
  const std::thread::id me = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  team_for_range(n, 1L << 30, [&](long i0, long i1) {
    if (i0 < 0 || i1 > n || i0 >= i1 || i0 % align != 0 || (i1 % align != 0 && i1 != n)) bounds_ok = false;
    for (long i = i0; i < i1; i++) hits[i]++;
    if (std::this_thread::get_id() != me) elsewhere++;
  }, align);
  return elsewhere.load();
}

}  // namespace

TEST_CASE("the team covers every index exactly once, for any size, alignment and thread count") {
  for (int threads : {1, 2, 3}) {
    threads_scope ts(threads);
    for (long n : {1L, 2L, 7L, 8L, 31L, 64L, 1000L})
      for (long align : {1L, 8L}) {
        CAPTURE(threads);
        CAPTURE(n);
        CAPTURE(align);
        std::vector<int> hits(n, 0);
        bool bounds_ok = true;
        for (int rep = 0; rep < 200; rep++) one_loop(hits, n, align, bounds_ok);
        CHECK(bounds_ok);
        int wrong = 0;
        for (long i = 0; i < n; i++) wrong += hits[i] != 200;
        CHECK(wrong == 0);
      }
  }
}

TEST_CASE("small work and one thread stay on the caller") {
  threads_scope ts(2);
  const std::thread::id me = std::this_thread::get_id();
  bool here = true;
  team_for_range(100, team_min_work - 1, [&](long, long) { here = here && std::this_thread::get_id() == me; });
  CHECK(here);
  threads_scope one(1);
  team_for_range(100, 1L << 30, [&](long, long) { here = here && std::this_thread::get_id() == me; });
  CHECK(here);
}

// Loops until `helped` loops had a piece run by a helper, or for 3 s; returns the loops a helper helped.
int loops_until_helped(std::vector<int>& hits, int helped, bool& bounds_ok, long& loops) {
  const auto t0 = std::chrono::steady_clock::now();
  int n = 0;
  while (n < helped && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)) {
    n += one_loop(hits, long(hits.size()), 8, bounds_ok) > 0;
    loops++;
  }
  return n;
}

TEST_CASE("a helper slow inside its piece is waited for: every output is there when the loop returns") {
  threads_scope ts(2);
  const std::thread::id me = std::this_thread::get_id();
  std::vector<int> out(64, 0);
  int helped = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int rep = 0; helped < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3); rep++) {
    team_try_helpers_now();   // (a sleeping helper may take a millisecond to come)
    std::atomic<int> elsewhere{0};
    team_for_range(64, 1L << 30, [&](long i0, long i1) {
      if (std::this_thread::get_id() != me) {
        elsewhere++;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));   // descheduled mid-piece
      }
      for (long i = i0; i < i1; i++) out[i]++;
    });
    helped += elsewhere > 0;
    int wrong = 0;
    for (int v : out) wrong += v != rep + 1;
    REQUIRE(wrong == 0);
  }
  if (std::thread::hardware_concurrency() >= 2) CHECK(helped >= 1);   // the path was taken
}

TEST_CASE("a loop inside a piece runs alone, without deadlock") {
  threads_scope ts(2);
  std::vector<int> out(64 * 16, 0);
  team_for_range(64, 1L << 30, [&](long i0, long i1) {
    for (long i = i0; i < i1; i++)
      team_for_range(16, 1L << 30, [&](long j0, long j1) {
        for (long j = j0; j < j1; j++) out[i * 16 + j]++;
      });
  });
  int wrong = 0;
  for (int v : out) wrong += v != 1;
  CHECK(wrong == 0);
}

// It waits for a helper running beside the caller: skipped (and reported so) on one core.
TEST_CASE("a late helper loses no piece and does not hold the caller, who then runs alone for a while" *
          doctest::skip(std::thread::hardware_concurrency() < 2)) {
  threads_scope ts(2);
  std::vector<int> hits(256, 0);
  bool bounds_ok = true;
  long loops = 0;
  team_try_helpers_now();
  REQUIRE(loops_until_helped(hits, 20, bounds_ok, loops) == 20);   // the helper is up and helping
  team_try_helpers_now();
  const team_counts before = team_counts_now();
  team_set_helper_delay_us(20000);   // from now on a helper waits 20 ms before it takes a loop's piece
  int loops_helped = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int rep = 0; rep < 300; rep++) loops_helped += one_loop(hits, 256, 8, bounds_ok) > 0;
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  loops += 300;
  team_set_helper_delay_us(0);
  const team_counts after = team_counts_now();
  CHECK(bounds_ok);
  int wrong = 0;
  for (int i = 0; i < 256; i++) wrong += hits[i] != loops;
  CHECK(wrong == 0);
  // Had the caller waited for the helper, the helper would have run a piece of every loop. It wakes into one
  // loop per 20 ms at most (the 300 take about a millisecond on a quiet machine), and the caller took the
  // pieces of the others over.
  CAPTURE(ms);
  CHECK(loops_helped <= 2 + int(ms / 20));
  CHECK(after.loops - before.loops + after.solo - before.solo == 300);
  CHECK(after.taken_over - before.taken_over >= 4 * (after.loops - before.loops - loops_helped));

  // Absent for 5 ms of loops, the helpers are left alone for the next 2,048; then the caller tries them
  // again, and they help.
  const team_counts before_solo = team_counts_now();
  std::vector<int> more(256, 0);
  long more_loops = 0;
  team_set_helper_delay_us(20000);
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(30)) {
    one_loop(more, 256, 8, bounds_ok);
    more_loops++;
  }
  team_set_helper_delay_us(0);
  CHECK(team_counts_now().solo > before_solo.solo);
  CHECK(loops_until_helped(more, 100, bounds_ok, more_loops) == 100);
  CHECK(bounds_ok);
  wrong = 0;
  for (int v : more) wrong += v != more_loops;
  CHECK(wrong == 0);
}

TEST_CASE("loops that run faster alone are run alone, after a trial; the team is tried again later" *
          doctest::skip(std::thread::hardware_concurrency() < 2)) {
  threads_scope ts(2);
  team_try_helpers_now();   // a fresh choice: the team first
  const std::thread::id me = std::this_thread::get_id();
  // A piece run by a helper costs 30 us more (a far core): the team loses to the caller alone.
  auto slow_elsewhere = [&](long, long) {
    if (std::this_thread::get_id() != me) std::this_thread::sleep_for(std::chrono::microseconds(30));
  };
  const team_counts before = team_counts_now();
  for (int rep = 0; rep < 10000; rep++) team_for_range(64, 1L << 30, slow_elsewhere, 8);
  const team_counts after = team_counts_now();
  const long on_team = after.loops - before.loops, alone = after.solo - before.solo;
  CAPTURE(on_team);
  CAPTURE(alone);
  CHECK(on_team + alone == 10000);
  CHECK(alone > 8000);    // all but the first stretch and the team's trials
  CHECK(on_team >= 512);  // the first stretch, and a trial of the team now and then
  // Loops of 32 us of work, which two threads halve on a quiet machine.
  auto busy = [](long i0, long i1) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(500 * (i1 - i0));
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  const team_counts mid = team_counts_now();
  for (int rep = 0; rep < 10000; rep++) team_for_range(64, 1L << 30, busy, 8);
  const team_counts end = team_counts_now();
  CAPTURE(end.loops - mid.loops);
  CHECK(end.loops - mid.loops + end.solo - mid.solo == 10000);
  // The team is tried again within a stretch (4,096 loops): at least one trial of 256 loops. (On a quiet
  // machine it wins that trial and runs most of the 10,000; beside a busy process it may lose it, rightly.)
  CHECK(end.loops - mid.loops >= 256);
  team_try_helpers_now();
}

TEST_CASE("several callers at once: one has the team, the others run alone, all correct") {
  threads_scope ts(2);
  std::vector<std::vector<int>> hits(3, std::vector<int>(500, 0));
  std::vector<int> ok(3, 1);
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; c++)
    callers.emplace_back([&, c] {
      omp_set_num_threads(2);   // OpenMP's count is per thread
      bool bounds_ok = true;
      for (int rep = 0; rep < 300; rep++) one_loop(hits[c], 500, 8, bounds_ok);
      ok[c] = bounds_ok;
    });
  for (auto& t : callers) t.join();
  for (int c = 0; c < 3; c++) {
    CHECK(ok[c]);
    int wrong = 0;
    for (int v : hits[c]) wrong += v != 300;
    CHECK(wrong == 0);
  }
}
