// pluma plot: training curves from a metrics log (pluma train --metrics) as an SVG picture.
#include <fstream>
#include <iostream>

#include "tools/command.h"
#include "train/loss_plot.h"
#include "train/metrics.h"

namespace {

struct plot_config {
  std::string metrics;                 // JSON lines from pluma train --metrics
  std::string out = "loss.svg";
  pluma::loss_plot_options plot;
};

int cmd_plot(int argc, char** argv) {
  plot_config cfg;
  cxxopts::Options opts("pluma plot", "Draw the train and val loss curves (and a translator's val BLEU) of a metrics log as an SVG picture.");
  opts.add_options()
      ("metrics", "Metrics log (JSON lines written by pluma train --metrics)", cxxopts::value<std::string>())
      ("out", "SVG file to write", cxxopts::value<std::string>()->default_value(cfg.out))
      ("title", "Title above the plot (default: the metrics file name)", cxxopts::value<std::string>())
      ("no-batch-loss", "Leave out the loss of the logged training batches (evaluations only)");
  pluma::cli::add_help(opts);
  auto r = pluma::cli::parse_or_exit(opts, argc, argv);
  if (!r.count("metrics")) pluma::cli::usage_error(opts, "--metrics is required (the log written by pluma train --metrics)");
  cfg.metrics = r["metrics"].as<std::string>();
  cfg.out = r["out"].as<std::string>();
  cfg.plot.title = r.count("title") ? r["title"].as<std::string>() : cfg.metrics;
  cfg.plot.batch_loss = !r.count("no-batch-loss");

  std::vector<pluma::metrics_record> records;
  pluma::status st = pluma::metrics_read(cfg.metrics, records);
  if (!st) pluma::cli::fail(st.message());
  std::string svg;
  st = pluma::loss_plot_svg(records, cfg.plot, svg);
  if (!st) pluma::cli::fail(st.with_context(cfg.metrics).message());
  std::ofstream out(cfg.out, std::ios::binary);
  if (!out || !(out << svg) || !out.flush()) pluma::cli::fail("cannot write '" + cfg.out + "'");
  int evals = 0;
  for (const auto& rec : records) evals += rec.is_eval();
  std::cout << "wrote " << cfg.out << " (" << records.size() << " records, " << evals << " evaluations)" << std::endl;
  return 0;
}

}  // namespace

PLUMA_COMMAND("plot", "Plot train/val loss (and val BLEU) curves from a metrics log (SVG)", cmd_plot);
