// lanes: data parallel over the CPU's threads within one process. The trainer (train/lanes.h) runs each lane's
// share of a batch through a model of its own on one thread, then sums the lanes' gradients. CPU only.
#pragma once
#include <functional>
#include <vector>

namespace pluma {

// The most lanes lanes_run takes.
int lanes_max();
// Runs lane(k) for every k in [0, n), each lane on one thread that computes alone (its ops unsplit, its
// products on that thread, never waiting for another thread): on min(n, the thread count) threads, thread t
// running lanes t, t + threads, ... in order (inside a parallel region: here, in lane order). The results do
// not depend on how many threads ran. Returns that count; an exception in a lane is thrown here, after all.
int lanes_run(int n, const std::function<void(int)>& lane);
// dst[i] = ((dst[i] + srcs[0][i]) + srcs[1][i]) + ..., in that order, split over the threads (the same bits
// for any thread count). dst: (N), every src: (N).
void lanes_sum_into(float* dst, const std::vector<const float*>& srcs, long N);

}  // namespace pluma
