// line_chart (the SVG line chart behind pluma plot), its log axes, and the chart file pluma plot --chart reads.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include "train/chart_axis.h"
#include "train/chart_file.h"
#include "train/line_chart.h"

using namespace pluma;

namespace {

size_t count(const std::string& svg, const std::string& needle) {
  size_t n = 0;
  for (size_t p = svg.find(needle); p != std::string::npos; p = svg.find(needle, p + 1)) n++;
  return n;
}

// The x,y pairs of every polyline, in pixels.
std::vector<std::pair<double, double>> polyline_points(const std::string& svg) {
  std::vector<std::pair<double, double>> out;
  std::smatch m;
  for (auto it = svg.cbegin(); std::regex_search(it, svg.cend(), m, std::regex("points=\"([^\"]*)\"")); it = m[0].second) {
    std::string pts = m[1];
    std::smatch p;
    for (auto jt = pts.cbegin(); std::regex_search(jt, pts.cend(), p, std::regex("([-0-9.]+),([-0-9.]+)")); jt = p[0].second)
      out.push_back({std::stod(p[1]), std::stod(p[2])});
  }
  return out;
}

// What is inside the first <g class="NAME"> ... </g>.
std::string group(const std::string& svg, const std::string& name) {
  size_t a = svg.find("<g class=\"" + name + "\"");
  REQUIRE(a != std::string::npos);
  return svg.substr(a, svg.find("</g>", a) - a);
}

// A benchmark's chart: time per iteration against width, two series, log-log.
std::vector<chart_series> widths_chart() {
  chart_series a, b;
  a.name = "pluma fp32";
  a.xy = {{128, 40.1}, {256, 120.5}, {384, 250.0}, {768, 900.2}};
  b.name = "PyTorch 1.13";
  b.color = "#d62728";
  b.xy = {{128, 80.0}, {256, 150.0}, {384, 300.0}, {768, 1000.0}};
  return {a, b};
}

std::string draw(const std::vector<chart_series>& s, const chart_options& o) {
  std::string svg;
  status st = line_chart_svg(s, o, svg);
  REQUIRE_MESSAGE(st, st.message());
  return svg;
}

std::string error_of(const std::vector<chart_series>& s, const chart_options& o) {
  std::string svg;
  status st = line_chart_svg(s, o, svg);
  CHECK(!st);
  CHECK(svg.empty());
  return st.message();
}

}  // namespace

TEST_CASE("a log axis ticks the data's distinct values, or 1-2-5 times the powers of ten") {
  CHECK(log_axis(100, 1000, {256, 128, 768, 384, 256}).ticks == std::vector<double>{128, 256, 384, 768});
  CHECK(log_axis(100, 1000, {256, 128, 768, 384}).labels == std::vector<std::string>{"128", "256", "384", "768"});
  std::vector<double> many;
  for (int i = 1; i <= 13; i++) many.push_back(i * 70);
  auto a = log_axis(1, 1000, many);
  CHECK(a.labels == std::vector<std::string>{"1", "2", "5", "10", "20", "50", "100", "200", "500", "1000"});
  CHECK(log_axis(0.001, 1e9, {}).ticks.size() <= 13);          // 12 decades: powers of ten only, thinned
  CHECK(log_axis(0.001, 1e9, {}).labels.front() == "0.001");
  CHECK(log_axis(30, 90, {}).ticks == std::vector<double>{30, 40, 50, 60, 70, 80, 90});   // inside one 1-2-5 step
  CHECK(log_axis(10, 1000, {}).frac(100) == doctest::Approx(0.5));
}

TEST_CASE("a log-log chart: ticks at the widths, points inside the plot area, one legend entry a series") {
  chart_options o;
  o.title = "GPT training: time per iteration";
  o.x_label = "width (channels)";
  o.y_label = "ms per iteration";
  o.log_x = o.log_y = true;
  const std::string svg = draw(widths_chart(), o);
  const std::string ticks = group(svg, "tick-labels");
  for (const char* w : {">128<", ">256<", ">384<", ">768<"}) CHECK(ticks.find(w) != std::string::npos);
  CHECK(ticks.find("\"middle\">200<") == std::string::npos);   // no 1-2-5 ticks on the x axis
  CHECK(ticks.find("\"end\">100<") != std::string::npos);        // but on the y axis (40 .. 1000 ms)
  CHECK(ticks.find("\"end\">1000<") != std::string::npos);
  CHECK(svg.find(">width (channels)</text>") != std::string::npos);
  CHECK(svg.find(">ms per iteration</text>") != std::string::npos);

  // 800x500, no right axis: the plot area is x 70..780, y 40..445
  auto pts = polyline_points(svg);
  REQUIRE(pts.size() == 8);
  for (auto [x, y] : pts) {
    CHECK(x > 70);
    CHECK(x < 780);
    CHECK(y > 40);
    CHECK(y < 445);
  }
  CHECK(pts[1].first - pts[0].first == doctest::Approx(pts[3].first - pts[2].first).epsilon(0.01));  // 2x as wide
  CHECK(pts[0].second > pts[3].second);                // slower is higher up
  CHECK(count(svg, "<circle") == 8);

  const std::string legend = group(svg, "legend");
  CHECK(count(legend, "<line") == 2);
  CHECK(legend.find(">pluma fp32</text>") != std::string::npos);
  CHECK(legend.find(">PyTorch 1.13</text>") != std::string::npos);
  CHECK(legend.find("stroke=\"#d62728\"") != std::string::npos);
  CHECK(legend.find("stroke=\"#1f77b4\"") != std::string::npos);   // the palette's first, unused color
  CHECK(legend.find("<rect x=\"80.0\"") != std::string::npos);      // curves rise to the top right: legend top left
}

TEST_CASE("series without a color take palette colors no other series has") {
  std::vector<chart_series> s(3);
  for (auto& c : s) c.xy = {{1, 1}, {2, 2}};
  s[0].name = "a", s[1].name = "b", s[2].name = "c";
  s[1].color = "#1f77b4";
  const std::string svg = draw(s, {});
  CHECK(count(svg, "stroke=\"#1f77b4\"") == 2);   // b's polyline and legend line, no one else's
  CHECK(count(svg, "stroke=\"#d62728\"") == 2);
  CHECK(count(svg, "stroke=\"#2ca02c\"") == 2);
}

TEST_CASE("text of a chart is escaped") {
  auto s = widths_chart();
  s[0].name = "a\"<b>&";
  chart_options o;
  o.title = "</text><script>alert(1)</script>";
  o.x_label = "<x>";
  const std::string svg = draw(s, o);
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(svg.find("&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(svg.find(">&lt;x&gt;</text>") != std::string::npos);
  CHECK(svg.find("data-name=\"a&quot;&lt;b&gt;&amp;\"") != std::string::npos);
  CHECK(svg.find("<b>") == std::string::npos);
}

TEST_CASE("a right-hand axis: its series drawn against it, its label on the right") {
  auto s = widths_chart();
  s[1].right = true;
  s[1].xy = {{128, 0.5}, {768, 0.9}};
  chart_options o;
  o.right_label = "speed-up";
  const std::string svg = draw(s, o);
  CHECK(svg.find("<g class=\"right-axis\"") != std::string::npos);
  CHECK(svg.find("rotate(90)\" text-anchor=\"middle\">speed-up</text>") != std::string::npos);
  CHECK(group(svg, "right-tick-labels").find(">1.0<") != std::string::npos);   // 0 .. 1 at least
}

TEST_CASE("line_chart refuses what it cannot draw, naming the series and the point") {
  chart_options o;
  CHECK(error_of({}, o) == "no series to draw");
  auto s = widths_chart();
  s[1].xy.clear();
  CHECK(error_of(s, o) == "series 'PyTorch 1.13' has no points");
  s = widths_chart();
  s[0].xy[2].second = NAN;
  CHECK(error_of(s, o) == "series 'pluma fp32', point 3: not a finite number");
  s = widths_chart();
  s[1].xy[0].first = 0;
  o.log_x = true;
  CHECK(error_of(s, o) == "series 'PyTorch 1.13', point 1: x = 0 on a logarithmic x axis (x > 0)");
  o.log_x = false, o.log_y = true;
  s = widths_chart();
  s[0].xy[1].second = -2;
  CHECK(error_of(s, o) == "series 'pluma fp32', point 2: y = -2 on a logarithmic y axis (y > 0)");
  s[0].xy[1].second = 1e-301;
  CHECK(error_of(s, o) == "series 'pluma fp32', point 2: below 1e-300 on a logarithmic axis");
  s[0].xy[1].second = -1e301;
  CHECK(error_of(s, o) == "series 'pluma fp32', point 2: beyond +-1e300");
  s[0].xy[1].second = -2;
  s[0].right = true;   // the right axis is linear
  CHECK(draw(s, o).size() > 0);
  s = widths_chart();
  s[0].color = "red\" onload=\"x";
  CHECK(error_of(s, {}) == "series 'pluma fp32': color 'red\" onload=\"x' is not #rgb, #rrggbb or a color name");
  s = std::vector<chart_series>(65, widths_chart()[0]);
  CHECK(error_of(s, {}) == "65 series, more than 64");
}

TEST_CASE("a chart file: the format pluma plot --chart reads") {
  std::vector<chart_series> s;
  chart_options o;
  REQUIRE(chart_from_json(R"({"title": "t", "x_label": "width", "y_label": "ms", "log_x": true, "log_y": false,
    "right_label": "", "series": [{"name": "pluma", "points": [[128, 40.1], [256, 120]]},
                                  {"name": "torch", "points": [[128, 80]], "color": "#abc", "dots": false, "right": true}]})",
                          s, o));
  CHECK(o.title == "t");
  CHECK(o.x_label == "width");
  CHECK(o.log_x);
  CHECK(!o.log_y);
  REQUIRE(s.size() == 2);
  CHECK(s[0].xy == std::vector<std::pair<double, double>>{{128, 40.1}, {256, 120}});
  CHECK(s[0].color.empty());
  CHECK(s[0].dots);
  CHECK(s[1].color == "#abc");
  CHECK(!s[1].dots);
  CHECK(s[1].right);

  auto err = [&](const std::string& text) {
    status st = chart_from_json(text, s, o);
    CHECK(!st);
    return st.message();
  };
  CHECK(err("{\"series\": [") == "not valid JSON (at byte 13)");
  CHECK(err("[1, 2]") == "not a JSON object");
  CHECK(err("{}") == "needs \"series\": [...]");
  CHECK(err("{\"series\": []}") == "no series to draw");
  CHECK(err("{\"titel\": \"x\", \"series\": []}") == "unknown key 'titel'");
  CHECK(err("{\"log_x\": 1, \"series\": []}") == "'log_x' must be true or false");
  CHECK(err("{\"series\": [{\"points\": [[1, 2]]}]}") == "series 1: needs a \"name\" (a non-empty string)");
  CHECK(err("{\"series\": [{\"name\": \"a\", \"points\": []}]}") == "series 'a' has no points");
  CHECK(err("{\"series\": [{\"name\": \"a\"}]}") == "series 'a': needs \"points\": [[x, y], ...]");
  CHECK(err("{\"series\": [{\"name\": \"a\", \"points\": [[1, \"2\"]]}]}") == "series 'a': point 1: x and y must be numbers");
  CHECK(err("{\"series\": [{\"name\": \"a\", \"points\": [[1, 2], [3]]}]}") == "series 'a': point 2: not an [x, y] pair");
  CHECK(err("{\"series\": [{\"name\": \"a\", \"points\": [[1, 1e999]]}]}") == "number overflow parsing '1e999'");
  CHECK(err("{\"series\": [{\"name\": \"a\", \"points\": [[1, 2]], \"colour\": \"red\"}]}") == "series 1: unknown key 'colour'");
  std::string big = "{\"series\": [{\"name\": \"a\", \"points\": [";
  for (size_t i = 0; i <= chart_max_points; i++) big += i ? ",[1,2]" : "[1,2]";
  CHECK(err(big + "]}]}") == "more than 100000 points");
}

TEST_CASE("a chart file that is missing or no file at all") {
  std::vector<chart_series> s;
  chart_options o;
  CHECK(chart_file_read("/nonexistent/chart.json", s, o).message() == "cannot open chart file '/nonexistent/chart.json'");
  auto dir = std::filesystem::temp_directory_path();
  CHECK(chart_file_read(dir.string(), s, o).message() == "cannot read chart file '" + dir.string() + "'");
  auto path = (dir / "pluma_test_plot_chart.json").string();
  std::ofstream(path) << "{\"series\": [{\"name\": \"a\", \"points\": [[1, 2]]}]";
  CHECK(chart_file_read(path, s, o).message() == path + ": not valid JSON (at byte 47)");
  std::filesystem::remove(path);
}
