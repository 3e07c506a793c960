// projection: word vectors to a 2-D picture — PCA of the chosen rows (their two principal axes),
// and an SVG map with the words labelled and arrows between pairs (analogy arrows: hombre -> rey,
// mujer -> reina run parallel when the analogy holds).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "model/core/status.h"
#include "model/embed/vectors.h"

namespace pluma {

struct point2 {
  double x = 0, y = 0;
};

// The rows' coordinates on the two principal axes of the centred rows (power iteration with
// deflation, deterministic). Fewer than two distinct rows give zeros on the missing axes.
std::vector<point2> pca_2d(const word_vectors& v, const std::vector<int>& rows);

struct map_arrow {
  int from = 0, to = 0;   // indices into the labels
};

// An SVG document: every point with its label, and the arrows.
std::string map_svg(const std::vector<point2>& points, const std::vector<std::string>& labels,
                    const std::vector<map_arrow>& arrows, const std::string& title);

}  // namespace pluma
