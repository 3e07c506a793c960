// attention_map: pictures of a translation's attention, source tokens (columns) against target tokens (rows),
// each cell shaded by its weight (white 0 -> dark blue 1; the weight shows on hover). One SVG per sentence,
// stacked in one .svg file, or embedded in an HTML page with each sentence's source and translation.
#pragma once
#include <string>
#include <vector>

#include "model/core/status.h"

namespace pluma {

struct attention_map {
  std::string source, translation;        // the sentence's text (HTML captions)
  std::vector<std::string> src_tokens;    // columns
  std::vector<std::string> tgt_tokens;    // rows
  std::vector<float> weights;             // (tgt_tokens, src_tokens), rows sum to 1
};

// One <svg> element of the map (no XML prolog); `y_offset` shifts it down when stacked in one file.
std::string attention_map_svg(const attention_map& map, int index, double y_offset = 0);
// Heights of attention_map_svg's drawing, for stacking.
double attention_map_height(const attention_map& map);
// A whole .svg file of every map, one under the other.
std::string attention_maps_svg(const std::vector<attention_map>& maps);
// A whole HTML page: per sentence a caption (source, translation) and its SVG.
std::string attention_maps_html(const std::vector<attention_map>& maps);
// Writes the .svg or .html/.htm page chosen by the path's extension; another extension is an error.
status attention_maps_write(const std::string& path, const std::vector<attention_map>& maps);

}  // namespace pluma
