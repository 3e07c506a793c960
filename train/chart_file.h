// chart_file: the JSON file a benchmark script writes for pluma plot --chart, read into line_chart's series
// and options:
//   {"title": "...", "x_label": "...", "y_label": "...", "right_label": "...", "log_x": true, "log_y": false,
//    "series": [{"name": "pluma fp32", "points": [[128, 40.1], [256, 120.5]],
//                "color": "#d62728", "dots": true, "right": false}, ...]}
// Only "series", and a series' "name" and "points", are required; any other key is an error (a typo would
// otherwise pass unnoticed). Whatever line_chart_svg refuses (no points, x <= 0 on a log axis, ...) it checks.
#pragma once
#include <string>
#include <vector>

#include "model/core/status.h"
#include "train/line_chart.h"

namespace pluma {

constexpr size_t chart_file_max_bytes = 64u << 20;
constexpr size_t chart_max_points = 100000;   // all series together

status chart_from_json(const std::string& text, std::vector<chart_series>& series, chart_options& opt);
status chart_file_read(const std::string& path, std::vector<chart_series>& series, chart_options& opt);

}  // namespace pluma
