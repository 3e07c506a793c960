#include "train/loss_plot.h"

#include <cmath>

#include "train/line_chart.h"

namespace pluma {

status loss_plot_svg(const std::vector<metrics_record>& records, const loss_plot_options& opt, std::string& svg) {
  chart_series batch{"batch loss", "#9e9e9e", 1.0, 0.6, false, false, {}};
  chart_series train{"train loss", "#1f77b4", 2.0, 1.0, true, false, {}};
  chart_series val{"val loss", "#d62728", 2.0, 1.0, true, false, {}};
  chart_series bleu{"val BLEU", "#2ca02c", 2.0, 1.0, true, true, {}};
  for (const auto& r : records) {
    if (r.val_bleu && std::isfinite(*r.val_bleu)) bleu.xy.push_back({r.iter, *r.val_bleu});
    if (r.loss && opt.batch_loss && std::isfinite(*r.loss)) batch.xy.push_back({r.iter, *r.loss});
    if (r.train_loss && std::isfinite(*r.train_loss)) train.xy.push_back({r.iter, *r.train_loss});
    if (r.val_loss && std::isfinite(*r.val_loss)) val.xy.push_back({r.iter, *r.val_loss});
  }
  std::vector<chart_series> all;
  for (chart_series* s : {&batch, &train, &val})
    if (!s->xy.empty()) all.push_back(std::move(*s));
  if (all.empty()) return status::error("the metrics log holds no loss values to plot");
  if (!bleu.xy.empty()) all.push_back(std::move(bleu));
  chart_options o;
  o.title = opt.title, o.width = opt.width, o.height = opt.height;
  o.x_label = "iteration", o.y_label = "loss (cross-entropy, nats)", o.right_label = "validation BLEU";
  return line_chart_svg(all, o, svg);
}

}  // namespace pluma
