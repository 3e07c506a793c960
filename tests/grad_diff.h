// Two gradient vectors compared as a whole: the largest difference against the largest reference magnitude.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

struct grad_diff {
  double err = 0;     // max |got - ref|
  double scale = 0;   // max |ref|
  double relative() const { return scale > 0 ? err / scale : err; }
};

inline grad_diff grad_diff_of(const float* got, const float* ref, size_t n) {
  grad_diff d;
  for (size_t i = 0; i < n; i++) {
    d.err = std::max(d.err, double(std::fabs(got[i] - ref[i])));
    d.scale = std::max(d.scale, double(std::fabs(ref[i])));
  }
  return d;
}
