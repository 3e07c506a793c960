// attention_map: SVG and HTML heat maps of attention weights.
#include "generate/attention_map.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "model/core/check.h"
#include "model/core/xml_escape.h"

namespace pluma {
namespace {

constexpr double cell = 24;        // px per cell
constexpr double char_px = 7.5;    // rough width of one label character at 12px
constexpr double pad = 8;

// Code points of a UTF-8 string (label widths).
size_t display_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

size_t longest(const std::vector<std::string>& v) {
  size_t n = 1;
  for (const auto& s : v) n = std::max(n, display_length(s));
  return n;
}

std::string fmt(const char* f, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

// Left margin (row labels) and top margin (rotated column labels) of a map.
double left_margin(const attention_map& m) { return pad + char_px * double(longest(m.tgt_tokens)) + 6; }
double top_margin(const attention_map& m) { return pad + 0.75 * char_px * double(longest(m.src_tokens)) + 10; }

}  // namespace

double attention_map_height(const attention_map& m) {
  return top_margin(m) + cell * double(m.tgt_tokens.size()) + pad;
}

std::string attention_map_svg(const attention_map& m, int index, double y_offset) {
  const size_t S = m.src_tokens.size(), T = m.tgt_tokens.size();
  PLUMA_CHECK(m.weights.size() == S * T, "attention_map_svg: weights must be (target tokens, source tokens)");
  const double left = left_margin(m), top = top_margin(m);
  const double width = left + cell * double(S) + pad, height = attention_map_height(m);
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" y=\"" + fmt("%.0f", y_offset) + "\" width=\"" +
                  fmt("%.0f", width) + "\" height=\"" + fmt("%.0f", height) + "\" font-family=\"sans-serif\" " +
                  "font-size=\"12\">\n<title>attention, sentence " + std::to_string(index + 1) + "</title>\n";
  for (size_t j = 0; j < S; j++) {   // column labels, rotated
    const double x = left + cell * (double(j) + 0.5), y = top - 4;
    s += "<text x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", y) + "\" transform=\"rotate(-45 " + fmt("%.1f", x) +
         " " + fmt("%.1f", y) + ")\">" + xml_escape(m.src_tokens[j]) + "</text>\n";
  }
  for (size_t i = 0; i < T; i++) {
    const double y = top + cell * double(i);
    s += "<text x=\"" + fmt("%.1f", left - 6) + "\" y=\"" + fmt("%.1f", y + cell * 0.65) +
         "\" text-anchor=\"end\">" + xml_escape(m.tgt_tokens[i]) + "</text>\n";
    for (size_t j = 0; j < S; j++) {
      const float w = std::clamp(m.weights[i * S + j], 0.0f, 1.0f);
      // white (255,255,255) -> dark blue (8,48,107)
      const int r = int(255 - w * (255 - 8)), g = int(255 - w * (255 - 48)), b = int(255 - w * (255 - 107));
      s += "<rect x=\"" + fmt("%.1f", left + cell * double(j)) + "\" y=\"" + fmt("%.1f", y) + "\" width=\"" +
           fmt("%.0f", cell) + "\" height=\"" + fmt("%.0f", cell) + "\" fill=\"rgb(" + std::to_string(r) + "," +
           std::to_string(g) + "," + std::to_string(b) + ")\" stroke=\"#ddd\"><title>" +
           xml_escape(m.tgt_tokens[i]) + " / " + xml_escape(m.src_tokens[j]) + ": " + fmt("%.3f", w) +
           "</title></rect>\n";
    }
  }
  return s + "</svg>\n";
}

std::string attention_maps_svg(const std::vector<attention_map>& maps) {
  double width = 0, height = 0;
  for (const auto& m : maps) {
    width = std::max(width, left_margin(m) + cell * double(m.src_tokens.size()) + pad);
    height += attention_map_height(m);
  }
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  fmt("%.0f", std::max(width, 1.0)) + "\" height=\"" + fmt("%.0f", std::max(height, 1.0)) + "\">\n";
  double y = 0;
  for (size_t i = 0; i < maps.size(); i++) {
    s += attention_map_svg(maps[i], int(i), y);
    y += attention_map_height(maps[i]);
  }
  return s + "</svg>\n";
}

std::string attention_maps_html(const std::vector<attention_map>& maps) {
  std::string s =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>pluma attention</title>\n"
      "<style>body{font-family:sans-serif;margin:2em} section{margin-bottom:2em} .src{color:#555}</style>\n"
      "</head><body>\n<h1>Attention</h1>\n<p>Rows: target tokens; columns: source tokens; darker = more weight "
      "(hover a cell for its value).</p>\n";
  for (size_t i = 0; i < maps.size(); i++) {
    s += "<section>\n<h2>" + std::to_string(i + 1) + "</h2>\n<p class=\"src\">" + xml_escape(maps[i].source) +
         "</p>\n<p>" + xml_escape(maps[i].translation) + "</p>\n" + attention_map_svg(maps[i], int(i)) + "</section>\n";
  }
  return s + "</body></html>\n";
}

status attention_maps_write(const std::string& path, const std::vector<attention_map>& maps) {
  auto ends_with = [&](const std::string& ext) {
    return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  };
  std::string text;
  if (ends_with(".svg")) text = attention_maps_svg(maps);
  else if (ends_with(".html") || ends_with(".htm")) text = attention_maps_html(maps);
  else return status::error("attention file '" + path + "' must end in .html, .htm or .svg");
  std::ofstream f(path, std::ios::binary);
  if (!f) return status::error("cannot write the attention file '" + path + "'");
  f << text;
  f.close();
  if (!f) return status::error("writing the attention file '" + path + "' failed");
  return status::ok();
}

}  // namespace pluma
