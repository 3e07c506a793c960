// A metrics log (JSON lines) as pluma plot reads it, and the SVG drawn from whatever it held.
#include <string>
#include <vector>

#include "tests/fuzz/targets.h"
#include "train/loss_plot.h"
#include "train/metrics.h"

namespace pluma::fuzz {

int metrics_one(const uint8_t* data, size_t size) {
  std::vector<metrics_record> records;
  if (!metrics_read(scratch_file(data, size), records)) return 0;
  std::string svg;
  (void)loss_plot_svg(records, loss_plot_options{}, svg);
  return 0;
}

}  // namespace pluma::fuzz
