// Threads for decoding's loops: a token of a small model runs ~20 loops of a few microseconds each (its
// matmuls), too short for an OpenMP region, whose barrier costs about as much as the loop and, when another
// process has the other core, waits for a descheduled thread for milliseconds (5,000 tokens: 0.65 s -> 8-16 s).
//
// The team is the calling thread plus helpers (threads - 1 of them) that spin briefly between loops and then
// sleep. A loop's range is cut into pieces, each owned by one member; the caller runs its own pieces, then
// takes the pieces no helper has started, and waits only for pieces a helper is running. A helper that is
// asleep or descheduled before it starts therefore costs the caller nothing but its share of the work (one
// descheduled in the middle of a piece still holds the caller until it runs again), and on a quiet machine
// each member reads the same rows of the weights at every token, so they stay in its core's cache. When the
// helpers run nothing for 5 ms of loops (the machine is busy elsewhere), the caller runs the next two
// thousand loops alone, so that their spinning does not take its CPU time, and then tries them again. And
// when the loops run faster alone (a hand-off is a cross-core round trip or two, which some hours on a VM
// make slow), the caller times both ways now and then and keeps the faster (decode_team.cpp: stretch_loops).
#pragma once
#include <type_traits>

namespace pluma::cpu {

using team_piece_fn = void (*)(void* arg, long i0, long i1);

// Calls fn(arg, i0, i1) over disjoint pieces of [0, n) covering it, on the team when `work` (multiply-adds,
// say) is worth it and the thread count (omp_get_max_threads) is above 1, else fn(arg, 0, n) here. Piece
// bounds are multiples of `align` except at n. Every piece has run when it returns. Safe to call from several
// threads at once (one of them gets the team, the others run alone) and from inside a piece (it runs alone).
// fn must not throw: helpers may still be running other pieces.
void team_for_range_fn(long n, long work, team_piece_fn fn, void* arg, long align);

template <class F>
void team_for_range(long n, long work, F&& f, long align = 1) {
  using fn_type = std::remove_reference_t<F>;
  team_for_range_fn(n, work, [](void* a, long i0, long i1) { (*static_cast<fn_type*>(a))(i0, i1); },
                    const_cast<void*>(static_cast<const void*>(&f)), align);
}

// Multiply-adds below which a loop runs on the calling thread alone (handing out pieces costs ~0.2 us); a
// loop gets one member per team_min_work of work at most.
constexpr long team_min_work = 1L << 13;

// What the team did since the process started (tests): loops run on it, loops the caller ran alone because
// the helpers had been absent, pieces run by helpers, pieces the caller took over because no helper had
// started them.
struct team_counts {
  long loops = 0, solo = 0, by_helpers = 0, taken_over = 0;
};
team_counts team_counts_now();

// Tests: the next loop tries the helpers, whatever the recent loops showed.
void team_try_helpers_now();

// Tests: a helper sleeps this long (microseconds) when it sees a new loop, before it takes a piece of it, to
// imitate one descheduled.
void team_set_helper_delay_us(int us);

}  // namespace pluma::cpu
