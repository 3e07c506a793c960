// pluma plot: training curves from a metrics log (pluma train --metrics), or any x/y series from a chart file
// (the benchmarks' JSON, train/chart_file.h), as an SVG picture.
#include <iostream>

#include "model/core/file_write.h"
#include "tools/command.h"
#include "train/chart_file.h"
#include "train/line_chart.h"
#include "train/loss_plot.h"
#include "train/metrics.h"

namespace {

void write_svg(const std::string& path, const std::string& svg) {
  pluma::status st = pluma::file_write_atomic(path, svg, "SVG file");
  if (!st) pluma::cli::fail(st.message());
}

void plot_metrics(const std::string& path, const std::string& out, pluma::loss_plot_options plot) {
  std::vector<pluma::metrics_record> records;
  pluma::status st = pluma::metrics_read(path, records);
  if (!st) pluma::cli::fail(st.message());
  std::string svg;
  st = pluma::loss_plot_svg(records, plot, svg);
  if (!st) pluma::cli::fail(st.with_context(path).message());
  write_svg(out, svg);
  int evals = 0;
  for (const auto& rec : records) evals += rec.is_eval();
  std::cout << "wrote " << out << " (" << records.size() << " records, " << evals << " evaluations)" << std::endl;
}

void plot_chart(const std::string& path, const std::string& out, const std::string* title) {
  std::vector<pluma::chart_series> series;
  pluma::chart_options opt;
  pluma::status st = pluma::chart_file_read(path, series, opt);
  if (!st) pluma::cli::fail(st.message());
  if (title) opt.title = *title;
  std::string svg;
  st = pluma::line_chart_svg(series, opt, svg);
  if (!st) pluma::cli::fail(st.with_context(path).message());
  write_svg(out, svg);
  size_t points = 0;
  for (const auto& s : series) points += s.xy.size();
  std::cout << "wrote " << out << " (" << series.size() << " series, " << points << " points)" << std::endl;
}

int cmd_plot(int argc, char** argv) {
  cxxopts::Options opts("pluma plot",
                        "Draw the train and val loss curves (and a translator's val BLEU) of a metrics log, or the "
                        "x/y series of a chart file, as an SVG picture.");
  opts.add_options()
      ("metrics", "Metrics log (JSON lines written by pluma train --metrics)", cxxopts::value<std::string>())
      ("chart", "Chart file (JSON: title, x_label, y_label, log_x, log_y, series of {name, points [[x, y], ...]})",
       cxxopts::value<std::string>())
      ("out", "SVG file to write (default: loss.svg, with --chart chart.svg)", cxxopts::value<std::string>())
      ("title", "Title above the plot (default: the chart file's title, or the metrics file name)",
       cxxopts::value<std::string>())
      ("no-batch-loss", "Leave out the loss of the logged training batches (evaluations only; with --metrics)");
  pluma::cli::add_help(opts);
  auto r = pluma::cli::parse_or_exit(opts, argc, argv);
  const bool chart = r.count("chart") > 0;
  if (chart && r.count("metrics")) pluma::cli::usage_error(opts, "give --metrics or --chart, not both");
  if (!chart && !r.count("metrics"))
    pluma::cli::usage_error(opts, "--metrics is required (the log written by pluma train --metrics), or --chart FILE");
  if (chart && r.count("no-batch-loss")) pluma::cli::usage_error(opts, "--no-batch-loss goes with --metrics");
  const std::string out = r.count("out") ? r["out"].as<std::string>() : chart ? "chart.svg" : "loss.svg";
  const std::string title = r.count("title") ? r["title"].as<std::string>() : "";
  if (chart) {
    plot_chart(r["chart"].as<std::string>(), out, r.count("title") ? &title : nullptr);
    return 0;
  }
  pluma::loss_plot_options plot;
  plot.title = r.count("title") ? title : r["metrics"].as<std::string>();
  plot.batch_loss = !r.count("no-batch-loss");
  plot_metrics(r["metrics"].as<std::string>(), out, plot);
  return 0;
}

}  // namespace

PLUMA_COMMAND("plot", "Plot loss (and val BLEU) curves from a metrics log, or any x/y series from a chart file (SVG)",
              cmd_plot);
