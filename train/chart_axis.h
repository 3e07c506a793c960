// chart_axis: one axis of a line chart: the range it spans, linear or logarithmic, and its ticks with labels.
#pragma once
#include <string>
#include <vector>

namespace pluma {

struct chart_axis {
  double lo = 0, hi = 1;               // the range drawn, in data units: lo < hi, both > 0 on a log axis
  bool log = false;
  std::vector<double> ticks;           // inside [lo, hi], ascending
  std::vector<std::string> labels;     // one per tick
  // Where v lies along the axis: 0 at lo, 1 at hi.
  double frac(double v) const;
};

// Tick positions for [lo, hi]: about `target` "nice" values (1, 2 or 5 times a power of ten) inside it.
std::vector<double> nice_ticks(double lo, double hi, int target);

// A linear axis over [lo, hi] with about `target` nice ticks, labelled with the decimals their step needs.
chart_axis linear_axis(double lo, double hi, int target);

// A logarithmic axis over [lo, hi] (0 < lo < hi). Its ticks are the distinct `marks` inside the range when
// there are 1 to 12 of them (a benchmark's model widths: 64, 256, 1024), else 1, 2 and 5 times the powers of
// ten (over more than 5 decades the powers alone, and of those at most about 10).
chart_axis log_axis(double lo, double hi, std::vector<double> marks);

}  // namespace pluma
