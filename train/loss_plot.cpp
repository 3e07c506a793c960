#include "train/loss_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/core/xml_escape.h"

namespace pluma {

namespace {

struct series {
  const char* name;
  const char* color;
  double width;
  double opacity;
  bool dots;
  bool right = false;   // drawn against the right-hand axis (BLEU)
  std::vector<std::pair<double, double>> xy;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// A tick label with as many decimals as the tick step needs.
std::string tick_label(double v, double step) {
  int decimals = 0;
  for (double s = step; decimals < 8 && std::fabs(s - std::round(s)) > 1e-6 * std::max(1.0, s); s *= 10) decimals++;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

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

status loss_plot_svg(const std::vector<metrics_record>& records, const loss_plot_options& opt, std::string& svg) {
  series batch{"batch loss", "#9e9e9e", 1.0, 0.6, false, false, {}};
  series train{"train loss", "#1f77b4", 2.0, 1.0, true, false, {}};
  series val{"val loss", "#d62728", 2.0, 1.0, true, false, {}};
  series bleu{"val BLEU", "#2ca02c", 2.0, 1.0, true, true, {}};
  for (const auto& r : records) {
    if (r.val_bleu && std::isfinite(*r.val_bleu)) bleu.xy.push_back({r.iter, *r.val_bleu});
    if (r.loss && opt.batch_loss && std::isfinite(*r.loss)) batch.xy.push_back({r.iter, *r.loss});
    if (r.train_loss && std::isfinite(*r.train_loss)) train.xy.push_back({r.iter, *r.train_loss});
    if (r.val_loss && std::isfinite(*r.val_loss)) val.xy.push_back({r.iter, *r.val_loss});
  }
  std::vector<series*> all;
  for (series* s : {&batch, &train, &val})
    if (!s->xy.empty()) all.push_back(s);
  if (all.empty()) return status::error("the metrics log holds no loss values to plot");

  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (auto* s : all)
    for (auto [x, y] : s->xy) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  // BLEU has its own axis on the right, from 0
  double b0 = 0, b1 = 1;
  for (auto [x, y] : bleu.xy) x0 = std::min(x0, x), x1 = std::max(x1, x), b1 = std::max(b1, y * 1.05);
  if (!bleu.xy.empty()) all.push_back(&bleu);
  if (x1 <= x0) x0 -= 1, x1 += 1;
  if (y1 <= y0) y0 -= 0.5, y1 += 0.5;
  double pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;

  const double W = opt.width, H = opt.height, ml = 70, mr = bleu.xy.empty() ? 20 : 70, mt = 40, mb = 55;
  const double pw = W - ml - mr, ph = H - mt - mb;
  auto px = [&](double x) { return ml + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return mt + (y1 - y) / (y1 - y0) * ph; };
  auto pb = [&](double y) { return mt + (b1 - y) / (b1 - b0) * ph; };

  std::string s;
  s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt("%.0f", W) + "\" height=\"" + fmt("%.0f", H) +
       "\" viewBox=\"0 0 " + fmt("%.0f", W) + " " + fmt("%.0f", H) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + fmt("%.1f", ml + pw / 2) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" +
       xml_escape(opt.title) + "</text>\n";

  // grid and ticks
  auto xt = nice_ticks(x0, x1, 8), yt = nice_ticks(y0, y1, 6);
  double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1, ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  s += "<g class=\"grid\" stroke=\"#e0e0e0\" stroke-width=\"1\">\n";
  for (double t : xt)
    s += "<line x1=\"" + fmt("%.1f", px(t)) + "\" y1=\"" + fmt("%.1f", mt) + "\" x2=\"" + fmt("%.1f", px(t)) +
         "\" y2=\"" + fmt("%.1f", mt + ph) + "\"/>\n";
  for (double t : yt)
    s += "<line x1=\"" + fmt("%.1f", ml) + "\" y1=\"" + fmt("%.1f", py(t)) + "\" x2=\"" + fmt("%.1f", ml + pw) +
         "\" y2=\"" + fmt("%.1f", py(t)) + "\"/>\n";
  s += "</g>\n<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">\n";
  s += "<line x1=\"" + fmt("%.1f", ml) + "\" y1=\"" + fmt("%.1f", mt + ph) + "\" x2=\"" + fmt("%.1f", ml + pw) +
       "\" y2=\"" + fmt("%.1f", mt + ph) + "\"/>\n";
  s += "<line x1=\"" + fmt("%.1f", ml) + "\" y1=\"" + fmt("%.1f", mt) + "\" x2=\"" + fmt("%.1f", ml) + "\" y2=\"" +
       fmt("%.1f", mt + ph) + "\"/>\n";
  for (double t : xt)
    s += "<line x1=\"" + fmt("%.1f", px(t)) + "\" y1=\"" + fmt("%.1f", mt + ph) + "\" x2=\"" + fmt("%.1f", px(t)) +
         "\" y2=\"" + fmt("%.1f", mt + ph + 5) + "\"/>\n";
  for (double t : yt)
    s += "<line x1=\"" + fmt("%.1f", ml - 5) + "\" y1=\"" + fmt("%.1f", py(t)) + "\" x2=\"" + fmt("%.1f", ml) +
         "\" y2=\"" + fmt("%.1f", py(t)) + "\"/>\n";
  s += "</g>\n<g class=\"tick-labels\" fill=\"black\">\n";
  for (double t : xt)
    s += "<text x=\"" + fmt("%.1f", px(t)) + "\" y=\"" + fmt("%.1f", mt + ph + 19) + "\" text-anchor=\"middle\">" +
         tick_label(t, xstep) + "</text>\n";
  for (double t : yt)
    s += "<text x=\"" + fmt("%.1f", ml - 8) + "\" y=\"" + fmt("%.1f", py(t) + 4) + "\" text-anchor=\"end\">" +
         tick_label(t, ystep) + "</text>\n";
  s += "</g>\n";
  s += "<text x=\"" + fmt("%.1f", ml + pw / 2) + "\" y=\"" + fmt("%.1f", H - 12) +
       "\" text-anchor=\"middle\">iteration</text>\n";
  s += "<text transform=\"translate(18 " + fmt("%.1f", mt + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">loss (cross-entropy, nats)</text>\n";
  if (!bleu.xy.empty()) {   // the right-hand axis
    auto bt = nice_ticks(b0, b1, 6);
    double bstep = bt.size() > 1 ? bt[1] - bt[0] : 1;
    s += "<g class=\"bleu-axis\" stroke=\"black\" stroke-width=\"1\">\n<line x1=\"" + fmt("%.1f", ml + pw) + "\" y1=\"" +
         fmt("%.1f", mt) + "\" x2=\"" + fmt("%.1f", ml + pw) + "\" y2=\"" + fmt("%.1f", mt + ph) + "\"/>\n";
    for (double t : bt)
      s += "<line x1=\"" + fmt("%.1f", ml + pw) + "\" y1=\"" + fmt("%.1f", pb(t)) + "\" x2=\"" + fmt("%.1f", ml + pw + 5) +
           "\" y2=\"" + fmt("%.1f", pb(t)) + "\"/>\n";
    s += "</g>\n<g class=\"bleu-tick-labels\" fill=\"black\">\n";
    for (double t : bt)
      s += "<text x=\"" + fmt("%.1f", ml + pw + 8) + "\" y=\"" + fmt("%.1f", pb(t) + 4) + "\">" + tick_label(t, bstep) +
           "</text>\n";
    s += "</g>\n<text transform=\"translate(" + fmt("%.1f", W - 14) + " " + fmt("%.1f", mt + ph / 2) +
         ") rotate(90)\" text-anchor=\"middle\">validation BLEU</text>\n";
  }

  // curves, clipped to the plot area
  s += "<clipPath id=\"plot-area\"><rect x=\"" + fmt("%.1f", ml) + "\" y=\"" + fmt("%.1f", mt) + "\" width=\"" +
       fmt("%.1f", pw) + "\" height=\"" + fmt("%.1f", ph) + "\"/></clipPath>\n";
  for (auto* c : all) {
    std::string pts;
    auto cy = [&](double y) { return c->right ? pb(y) : py(y); };
    for (auto [x, y] : c->xy) pts += fmt("%.1f", px(x)) + "," + fmt("%.1f", cy(y)) + " ";
    pts.pop_back();
    s += "<g class=\"series\" data-name=\"" + std::string(c->name) + "\" clip-path=\"url(#plot-area)\">\n";
    s += "<polyline fill=\"none\" stroke=\"" + std::string(c->color) + "\" stroke-width=\"" + fmt("%g", c->width) +
         "\" stroke-opacity=\"" + fmt("%g", c->opacity) + "\" points=\"" + pts + "\"/>\n";
    if (c->dots)
      for (auto [x, y] : c->xy)
        s += "<circle cx=\"" + fmt("%.1f", px(x)) + "\" cy=\"" + fmt("%.1f", cy(y)) + "\" r=\"3\" fill=\"" +
             c->color + "\"/>\n";
    s += "</g>\n";
  }

  // legend, top right inside the plot
  double lx = ml + pw - 130, ly = mt + 10;
  s += "<g class=\"legend\">\n<rect x=\"" + fmt("%.1f", lx - 8) + "\" y=\"" + fmt("%.1f", ly - 4) +
       "\" width=\"128\" height=\"" + fmt("%.0f", 20.0 * all.size() + 6) +
       "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bdbdbd\"/>\n";
  for (size_t i = 0; i < all.size(); i++) {
    double y = ly + 10 + 20.0 * i;
    s += "<line x1=\"" + fmt("%.1f", lx) + "\" y1=\"" + fmt("%.1f", y) + "\" x2=\"" + fmt("%.1f", lx + 24) + "\" y2=\"" +
         fmt("%.1f", y) + "\" stroke=\"" + all[i]->color + "\" stroke-width=\"" + fmt("%g", all[i]->width + 1) +
         "\"/>\n";
    s += "<text x=\"" + fmt("%.1f", lx + 32) + "\" y=\"" + fmt("%.1f", y + 4) + "\">" + all[i]->name + "</text>\n";
  }
  s += "</g>\n</svg>\n";
  svg = std::move(s);
  return status::ok();
}

}  // namespace pluma
