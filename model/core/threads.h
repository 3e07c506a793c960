// The CPU thread count the user asked for (--threads). OpenMP keeps the count per thread, so a thread the
// program starts later (a server's worker) does not see what the main thread set: it calls threads_adopt().
#pragma once

namespace pluma {

// n >= 1: the count for this thread now and for every thread that adopts it.
void threads_set(int n);
// This thread takes the count set with threads_set (nothing when none was set); cheap enough to call before
// every piece of work.
void threads_adopt();

}  // namespace pluma
