#include "train/chart_axis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pluma {

namespace {

// A tick label with as many decimals as the tick step needs.
std::string step_label(double v, double step) {
  int decimals = 0;
  for (double s = step; decimals < 8 && std::fabs(s - std::round(s)) > 1e-6 * std::max(1.0, s); s *= 10) decimals++;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A log tick's label: the value with up to 6 significant digits (64, 1024, 0.002, 1e+08).
std::string log_label(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// m times 10^k for each m in `mults` and each power of ten from lo to hi, stepping `every` powers.
std::vector<double> decade_ticks(double lo, double hi, const std::vector<double>& mults, int every) {
  std::vector<double> ticks;
  const int k0 = static_cast<int>(std::floor(std::log10(lo))), k1 = static_cast<int>(std::ceil(std::log10(hi)));
  for (int k = k0; k <= k1; k++) {
    if ((k - k0) % every) continue;
    for (double m : mults) {
      const double v = m * std::pow(10.0, k);
      if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) ticks.push_back(v);
    }
  }
  return ticks;
}

}  // namespace

double chart_axis::frac(double v) const {
  return log ? (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo)) : (v - lo) / (hi - lo);
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || target < 1) return ticks;
  double raw = (hi - lo) / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double frac = raw / mag;
  double step = (frac < 1.5 ? 1 : frac < 2.25 ? 2 : frac < 3.5 ? 2.5 : frac < 7 ? 5 : 10) * mag;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1)
    ticks.push_back(k * step + 0.0);   // + 0.0: no "-0"
  return ticks;
}

chart_axis linear_axis(double lo, double hi, int target) {
  chart_axis a;
  a.lo = lo, a.hi = hi;
  a.ticks = nice_ticks(lo, hi, target);
  const double step = a.ticks.size() > 1 ? a.ticks[1] - a.ticks[0] : 1;
  for (double t : a.ticks) a.labels.push_back(step_label(t, step));
  return a;
}

chart_axis log_axis(double lo, double hi, std::vector<double> marks) {
  chart_axis a;
  a.lo = lo, a.hi = hi, a.log = true;
  std::sort(marks.begin(), marks.end());
  marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
  marks.erase(std::remove_if(marks.begin(), marks.end(), [&](double v) { return !(v >= lo && v <= hi); }),
              marks.end());
  const double decades = std::log10(hi / lo);
  if (!marks.empty() && marks.size() <= 12)
    a.ticks = marks;
  else if (decades > 5)
    a.ticks = decade_ticks(lo, hi, {1}, static_cast<int>(std::ceil(decades / 10)));
  else
    a.ticks = decade_ticks(lo, hi, {1, 2, 5}, 1);
  if (a.ticks.size() < 2 && decades <= 5) a.ticks = decade_ticks(lo, hi, {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1);
  if (a.ticks.size() < 2) {   // a range inside one step of the 1..9 ladder: round values, as on a linear axis
    a.ticks.clear();
    for (double t : nice_ticks(lo, hi, 4))
      if (t > 0) a.ticks.push_back(t);
  }
  for (double t : a.ticks) a.labels.push_back(log_label(t));
  return a;
}

}  // namespace pluma
