// Test inputs: n floats drawn from N(0, scale²) by rng(seed), in index order (the same on every machine).
#pragma once
#include <cstdint>
#include <vector>

#include "model/core/rng.h"

namespace pluma::testing {

inline std::vector<float> normal_vector(size_t n, uint64_t seed, float scale = 1.0f) {
  rng gen(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = scale * gen.normal();
  return v;
}

}  // namespace pluma::testing
