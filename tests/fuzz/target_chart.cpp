// A chart file (JSON) as pluma plot --chart reads it, and the SVG drawn from whatever it held.
#include <string>
#include <vector>

#include "tests/fuzz/targets.h"
#include "train/chart_file.h"
#include "train/line_chart.h"

namespace pluma::fuzz {

int chart_one(const uint8_t* data, size_t size) {
  std::vector<chart_series> series;
  chart_options opt;
  if (!chart_file_read(scratch_file(data, size), series, opt)) return 0;
  std::string svg;
  (void)line_chart_svg(series, opt, svg);
  return 0;
}

}  // namespace pluma::fuzz
