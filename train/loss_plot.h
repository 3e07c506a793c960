// loss_plot: training curves from a metrics log as a self-contained SVG picture (a train/line_chart): axes
// with ticks and labels, a legend, the train and val losses of the evaluations (points joined by lines) and,
// faintly, the loss of the logged training batches; a translator's validation BLEU against an axis of its own,
// on the right.
#pragma once
#include <string>
#include <vector>

#include "model/core/status.h"
#include "train/chart_axis.h"   // nice_ticks
#include "train/metrics.h"

namespace pluma {

struct loss_plot_options {
  std::string title = "loss";
  int width = 800;             // pixels
  int height = 500;
  bool batch_loss = true;      // also draw the per-step batch loss
};

// Fails when the log holds no loss value at all.
status loss_plot_svg(const std::vector<metrics_record>& records, const loss_plot_options& opt, std::string& svg);

}  // namespace pluma
