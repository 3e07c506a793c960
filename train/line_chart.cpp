#include "train/line_chart.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "model/core/xml_escape.h"
#include "train/chart_axis.h"

namespace pluma {

namespace {

constexpr const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
std::string f1(double v) { return fmt("%.1f", v); }

std::string line(double x1, double y1, double x2, double y2, const std::string& attrs = "") {
  return "<line x1=\"" + f1(x1) + "\" y1=\"" + f1(y1) + "\" x2=\"" + f1(x2) + "\" y2=\"" + f1(y2) + "\"" + attrs +
         "/>\n";
}
// `body` is written as it is: escape text from outside first.
std::string text(double x, double y, const char* anchor, const std::string& body) {
  const std::string a = *anchor ? std::string(" text-anchor=\"") + anchor + "\"" : "";
  return "<text x=\"" + f1(x) + "\" y=\"" + f1(y) + "\"" + a + ">" + body + "</text>\n";
}
// About how wide a 12-pixel sans-serif text is: 7 pixels a character (a UTF-8 sequence counting once).
double text_width(const std::string& s) {
  double n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return 7 * n;
}

bool valid_color(const std::string& c) {
  auto all = [&](size_t from, int (*pred)(int)) {
    return std::all_of(c.begin() + from, c.end(), [&](char ch) { return pred(static_cast<unsigned char>(ch)) != 0; });
  };
  if (!c.empty() && c[0] == '#') return (c.size() == 4 || c.size() == 7) && all(1, isxdigit);
  return !c.empty() && c.size() <= 32 && all(0, isalpha);
}

status check(const std::vector<chart_series>& series, const chart_options& opt) {
  if (series.empty()) return status::error("no series to draw");
  if (series.size() > chart_max_series)
    return status::error(std::to_string(series.size()) + " series, more than " + std::to_string(chart_max_series));
  if (opt.width < 200 || opt.width > 10000 || opt.height < 150 || opt.height > 10000)
    return status::error("a chart of " + std::to_string(opt.width) + "x" + std::to_string(opt.height) +
                         " pixels; from 200x150 to 10000x10000");
  for (const auto& s : series) {
    const std::string name = "series '" + s.name + "'";
    if (s.xy.empty()) return status::error(name + " has no points");
    if (!s.color.empty() && !valid_color(s.color))
      return status::error(name + ": color '" + s.color + "' is not #rgb, #rrggbb or a color name");
    for (size_t i = 0; i < s.xy.size(); i++) {
      const auto [x, y] = s.xy[i];
      const std::string at = name + ", point " + std::to_string(i + 1) + ": ";
      if (!std::isfinite(x) || !std::isfinite(y)) return status::error(at + "not a finite number");
      if (std::fabs(x) > 1e300 || std::fabs(y) > 1e300) return status::error(at + "beyond +-1e300");
      if (opt.log_x && x <= 0) return status::error(at + "x = " + fmt("%g", x) + " on a logarithmic x axis (x > 0)");
      if (opt.log_y && !s.right && y <= 0)
        return status::error(at + "y = " + fmt("%g", y) + " on a logarithmic y axis (y > 0)");
      if ((opt.log_x && x < 1e-300) || (opt.log_y && !s.right && y < 1e-300))
        return status::error(at + "below 1e-300 on a logarithmic axis");
    }
  }
  return status::ok();
}

// Series without a color take the palette's colors in turn, skipping those other series name.
void fill_colors(std::vector<chart_series>& series) {
  size_t next = 0;
  for (auto& s : series) {
    if (!s.color.empty()) continue;
    for (size_t tries = 0; tries < std::size(palette); tries++, next++) {
      const char* c = palette[next % std::size(palette)];
      if (std::none_of(series.begin(), series.end(), [&](const chart_series& o) { return o.color == c; })) break;
    }
    s.color = palette[next++ % std::size(palette)];
  }
}

// The axis over the values of the series on one side: linear with `pad` of the range added at both ends
// (a single value: +-`flat`), or logarithmic padded by 5% of its decades.
chart_axis make_axis(const std::vector<double>& v, bool log, double pad, double flat, int target, bool marks) {
  double lo = v.empty() ? (log ? 1 : 0) : *std::min_element(v.begin(), v.end());
  double hi = v.empty() ? (log ? 10 : 1) : *std::max_element(v.begin(), v.end());
  if (log) {
    if (hi <= lo) lo /= 2, hi *= 2;
    const double p = std::exp(0.05 * (std::log(hi) - std::log(lo)));   // hi / lo may overflow
    const double a = lo / p > 0 ? lo / p : lo, b = std::isfinite(hi * p) ? hi * p : hi;
    return log_axis(a, b, marks ? v : std::vector<double>{});
  }
  if (hi <= lo) lo -= flat, hi += flat;
  const double p = (hi - lo) * pad;
  return linear_axis(lo - p, hi + p, target);
}

struct frame {
  double W, H, ml, mr, mt, mb, pw, ph;
  chart_axis x, y, r;
  double px(double v) const { return ml + x.frac(v) * pw; }
  double py(double v, bool right) const { return mt + (1 - (right ? r : y).frac(v)) * ph; }
};

frame layout(const std::vector<chart_series>& series, const chart_options& opt) {
  std::vector<double> xs, ys, rs;
  for (const auto& s : series)
    for (auto [x, y] : s.xy) xs.push_back(x), (s.right ? rs : ys).push_back(y);
  frame f;
  f.x = make_axis(xs, opt.log_x, 0, 1, 8, true);
  f.y = make_axis(ys, opt.log_y, 0.05, 0.5, 6, false);
  if (!rs.empty()) {   // from 0 (or the lowest value below it), 5% of headroom, at least 1 high
    const double b0 = std::min(0.0, *std::min_element(rs.begin(), rs.end()));
    const double b1 = std::max(0.0, *std::max_element(rs.begin(), rs.end()));
    f.r = linear_axis(b0, b0 + std::max(1.0, (b1 - b0) * 1.05), 6);
  }
  f.W = opt.width, f.H = opt.height, f.ml = 70, f.mr = rs.empty() ? 20 : 70, f.mt = 40, f.mb = 55;
  f.pw = f.W - f.ml - f.mr, f.ph = f.H - f.mt - f.mb;
  return f;
}

std::string draw_axes(const frame& f, const chart_options& opt, bool right) {
  const double bottom = f.mt + f.ph, edge = f.ml + f.pw;
  std::string s = "<g class=\"grid\" stroke=\"#e0e0e0\" stroke-width=\"1\">\n";
  for (double t : f.x.ticks) s += line(f.px(t), f.mt, f.px(t), bottom);
  for (double t : f.y.ticks) s += line(f.ml, f.py(t, false), edge, f.py(t, false));
  s += "</g>\n<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">\n";
  s += line(f.ml, bottom, edge, bottom) + line(f.ml, f.mt, f.ml, bottom);
  for (double t : f.x.ticks) s += line(f.px(t), bottom, f.px(t), bottom + 5);
  for (double t : f.y.ticks) s += line(f.ml - 5, f.py(t, false), f.ml, f.py(t, false));
  s += "</g>\n<g class=\"tick-labels\" fill=\"black\">\n";
  double last_end = -1e300;   // an x label that would run into the one before is left out
  for (size_t i = 0; i < f.x.ticks.size(); i++) {
    const double c = f.px(f.x.ticks[i]), half = text_width(f.x.labels[i]) / 2;
    if (c - half < last_end + 6) continue;
    s += text(c, bottom + 19, "middle", f.x.labels[i]);
    last_end = c + half;
  }
  for (size_t i = 0; i < f.y.ticks.size(); i++)
    s += text(f.ml - 8, f.py(f.y.ticks[i], false) + 4, "end", f.y.labels[i]);
  s += "</g>\n";
  if (!opt.x_label.empty()) s += text(f.ml + f.pw / 2, f.H - 12, "middle", xml_escape(opt.x_label));
  if (!opt.y_label.empty())
    s += "<text transform=\"translate(18 " + f1(f.mt + f.ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         xml_escape(opt.y_label) + "</text>\n";
  if (!right) return s;
  s += "<g class=\"right-axis\" stroke=\"black\" stroke-width=\"1\">\n" + line(edge, f.mt, edge, bottom);
  for (double t : f.r.ticks) s += line(edge, f.py(t, true), edge + 5, f.py(t, true));
  s += "</g>\n<g class=\"right-tick-labels\" fill=\"black\">\n";
  for (size_t i = 0; i < f.r.ticks.size(); i++) s += text(edge + 8, f.py(f.r.ticks[i], true) + 4, "", f.r.labels[i]);
  s += "</g>\n";
  if (!opt.right_label.empty())
    s += "<text transform=\"translate(" + f1(f.W - 14) + " " + f1(f.mt + f.ph / 2) +
         ") rotate(90)\" text-anchor=\"middle\">" + xml_escape(opt.right_label) + "</text>\n";
  return s;
}

// The curves, clipped to the plot area (and the dots' radius around it, so a dot on the frame stays round).
std::string draw_series(const frame& f, const std::vector<chart_series>& series) {
  std::string s = "<clipPath id=\"plot-area\"><rect x=\"" + f1(f.ml - 4) + "\" y=\"" + f1(f.mt - 4) + "\" width=\"" +
                  f1(f.pw + 8) + "\" height=\"" + f1(f.ph + 8) + "\"/></clipPath>\n";
  for (const auto& c : series) {
    std::string pts;
    for (auto [x, y] : c.xy) pts += f1(f.px(x)) + "," + f1(f.py(y, c.right)) + " ";
    pts.pop_back();
    const std::string color = xml_escape(c.color);
    s += "<g class=\"series\" data-name=\"" + xml_escape(c.name) + "\" clip-path=\"url(#plot-area)\">\n";
    s += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"" + fmt("%g", c.width) +
         "\" stroke-opacity=\"" + fmt("%g", c.opacity) + "\" points=\"" + pts + "\"/>\n";
    if (c.dots)
      for (auto [x, y] : c.xy)
        s += "<circle cx=\"" + f1(f.px(x)) + "\" cy=\"" + f1(f.py(y, c.right)) + "\" r=\"3\" fill=\"" + color +
             "\"/>\n";
    s += "</g>\n";
  }
  return s;
}

// How much of the curves a legend box at (x, y, w, h) would hide: points sampled along every segment.
size_t covered(const frame& f, const std::vector<chart_series>& series, double x, double y, double w, double h) {
  size_t n = 0;
  for (const auto& c : series)
    for (size_t i = 0; i < c.xy.size(); i++) {
      const auto& a = c.xy[i];
      const auto& b = c.xy[i + 1 < c.xy.size() ? i + 1 : i];
      const double ax = f.px(a.first), ay = f.py(a.second, c.right), bx = f.px(b.first), by = f.py(b.second, c.right);
      for (int k = 0; k < 8; k++) {
        const double px = ax + (bx - ax) * k / 8, py = ay + (by - ay) * k / 8;
        n += px >= x - 4 && px <= x + w + 4 && py >= y - 4 && py <= y + h + 4;
      }
    }
  return n;
}

// The legend inside the plot, in the corner the curves cross least (the top right when it is free).
std::string draw_legend(const frame& f, const std::vector<chart_series>& series) {
  double w = 128;
  for (const auto& c : series) w = std::max(w, 42 + text_width(c.name));
  const double h = 20.0 * series.size() + 6;
  const double left = f.ml + 10, right = f.ml + f.pw - 10 - w, top = f.mt + 6, low = f.mt + f.ph - 10 - h;
  const std::pair<double, double> corners[] = {{right, top}, {left, top}, {right, low}, {left, low}};
  auto [bx, by] = corners[0];
  size_t best = covered(f, series, bx, by, w, h);
  for (auto [cx, cy] : corners)
    if (size_t n = covered(f, series, cx, cy, w, h); n < best) best = n, bx = cx, by = cy;
  const double lx = bx + 8, ly = by + 4;
  std::string s = "<g class=\"legend\">\n<rect x=\"" + f1(bx) + "\" y=\"" + f1(by) + "\" width=\"" + fmt("%.0f", w) +
                  "\" height=\"" + fmt("%.0f", h) + "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bdbdbd\"/>\n";
  for (size_t i = 0; i < series.size(); i++) {
    const double y = ly + 10 + 20.0 * i;
    const std::string stroke = " stroke=\"" + xml_escape(series[i].color) + "\"";
    s += line(lx, y, lx + 24, y, stroke + " stroke-width=\"" + fmt("%g", series[i].width + 1) + "\"");
    s += text(lx + 32, y + 4, "", xml_escape(series[i].name));
  }
  return s + "</g>\n";
}

}  // namespace

status line_chart_svg(const std::vector<chart_series>& in, const chart_options& opt, std::string& svg) {
  PLUMA_TRY(check(in, opt));
  std::vector<chart_series> series = in;
  fill_colors(series);
  const frame f = layout(series, opt);
  const bool right = std::any_of(series.begin(), series.end(), [](const chart_series& c) { return c.right; });
  const std::string W = fmt("%.0f", f.W), H = fmt("%.0f", f.H);
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + W + "\" height=\"" + H + "\" viewBox=\"0 0 " + W + " " +
       H + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + f1(f.ml + f.pw / 2) + "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" +
       xml_escape(opt.title) + "</text>\n";
  s += draw_axes(f, opt, right) + draw_series(f, series) + draw_legend(f, series) + "</svg>\n";
  svg = std::move(s);
  return status::ok();
}

}  // namespace pluma
