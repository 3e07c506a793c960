// line_chart: x/y series as a self-contained SVG line chart: a title, a frame with grid, ticks and axis labels
// (linear or logarithmic), an optional axis of its own on the right, each series a polyline (with dots at its
// points) clipped to the plot area, and a legend in the corner the curves cross least. pluma plot draws
// training curves (train/loss_plot) and benchmark charts (train/chart_file) with it.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "model/core/status.h"

namespace pluma {

struct chart_series {
  std::string name;                 // in the legend
  std::string color;                // "#rgb", "#rrggbb" or a color name; "" takes the next of a fixed palette
  double width = 2;                 // of the line, in pixels
  double opacity = 1;
  bool dots = true;                 // a dot at each point
  bool right = false;               // drawn against the right-hand axis (always linear)
  std::vector<std::pair<double, double>> xy;   // drawn in this order
};

struct chart_options {
  std::string title, x_label, y_label, right_label;
  bool log_x = false, log_y = false;
  int width = 800, height = 500;    // pixels
};

constexpr size_t chart_max_series = 64;   // more would not fit in the legend

// Fails (with a message naming the series and the point) on no series, more than chart_max_series, a series
// without points, a coordinate that is not finite, one <= 0 on a log axis, a bad color or size.
status line_chart_svg(const std::vector<chart_series>& series, const chart_options& opt, std::string& svg);

}  // namespace pluma
