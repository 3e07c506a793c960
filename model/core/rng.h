// rng: a small, fast, serializable random generator (SplitMix64). Its whole state is one
// 64-bit word, so checkpoints carry it and resume is exact.
#pragma once
#include <cmath>
#include <cstdint>

namespace pluma {

struct rng {
  uint64_t state = 0x853c49e6748fea9bULL;

  rng() = default;
  // The seed is scrambled so that nearby seeds give unrelated streams (not shifted copies).
  explicit rng(uint64_t seed) {
    uint64_t z = seed ^ 0x632BE59BD9B4E019ULL;
    z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCDULL;
    z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53ULL;
    state = z ^ (z >> 33);
  }

  uint64_t next_u64() {
    uint64_t r = peek_u64(0);
    discard(1);
    return r;
  }
  // Counter-based access, so a parallel loop can still draw "in index order": peek_u64(i) is what the
  // (i+1)-th next_u64() from now returns, without advancing; discard(n) skips n draws.
  uint64_t peek_u64(uint64_t i) const {
    uint64_t z = state + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  void discard(uint64_t n) { state += n * 0x9E3779B97F4A7C15ULL; }
  // the float uniform() would make of a 64-bit draw
  static float to_uniform(uint64_t u) { return static_cast<float>(u >> 40) * (1.0f / 16777216.0f); }
  // uniform in [0, 1) with 24 bits (exactly representable floats)
  float uniform() { return to_uniform(next_u64()); }
  // uniform in [0, 1) with 53 bits
  double uniform_double() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  // integer in [0, n)
  uint64_t below(uint64_t n) { return next_u64() % n; }
  // standard normal (Box-Muller; one draw per call, deterministic)
  float normal() {
    double u1 = uniform_double(), u2 = uniform_double();
    if (u1 < 1e-300) u1 = 1e-300;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
};

}  // namespace pluma
