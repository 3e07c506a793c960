#include "model/embed/projection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/core/xml_escape.h"

namespace pluma {

std::vector<point2> pca_2d(const word_vectors& v, const std::vector<int>& rows) {
  const int n = static_cast<int>(rows.size()), D = v.dim;
  std::vector<double> X(static_cast<size_t>(n) * D), mean(D, 0.0);   // X: (n, D) centred
  for (int i = 0; i < n; i++)
    for (int k = 0; k < D; k++) mean[k] += v.row(rows[i])[k] / static_cast<double>(n);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < D; k++) X[static_cast<size_t>(i) * D + k] = v.row(rows[i])[k] - mean[k];
  // C = Xᵀ X (D, D); its two leading eigenvectors by power iteration, the second after deflation.
  std::vector<double> C(static_cast<size_t>(D) * D, 0.0);
  for (int i = 0; i < n; i++)
    for (int a = 0; a < D; a++)
      for (int b = 0; b < D; b++) C[static_cast<size_t>(a) * D + b] += X[static_cast<size_t>(i) * D + a] * X[static_cast<size_t>(i) * D + b];
  std::vector<point2> out(n);
  for (int axis = 0; axis < 2; axis++) {
    std::vector<double> e(D), w(D);
    for (int k = 0; k < D; k++) e[k] = 1.0 + 0.01 * ((k * 7919) % 13);   // fixed start, not orthogonal to much
    double lambda = 0;
    for (int it = 0; it < 500; it++) {
      for (int a = 0; a < D; a++) {
        double s = 0;
        for (int b = 0; b < D; b++) s += C[static_cast<size_t>(a) * D + b] * e[b];
        w[a] = s;
      }
      double norm = 0;
      for (double x : w) norm += x * x;
      norm = std::sqrt(norm);
      if (norm < 1e-12) { lambda = 0; break; }
      double change = 0;
      for (int k = 0; k < D; k++) { change += std::fabs(w[k] / norm - e[k]); e[k] = w[k] / norm; }
      lambda = norm;
      if (change < 1e-10) break;
    }
    if (lambda == 0) break;
    for (int i = 0; i < n; i++) {
      double p = 0;
      for (int k = 0; k < D; k++) p += X[static_cast<size_t>(i) * D + k] * e[k];
      (axis == 0 ? out[i].x : out[i].y) = p;
    }
    for (int a = 0; a < D; a++)   // deflate: C -= lambda e eᵀ
      for (int b = 0; b < D; b++) C[static_cast<size_t>(a) * D + b] -= lambda * e[a] * e[b];
  }
  return out;
}

namespace {

}  // namespace

std::string map_svg(const std::vector<point2>& points, const std::vector<std::string>& labels,
                    const std::vector<map_arrow>& arrows, const std::string& title) {
  const double W = 800, H = 600, M = 60;
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  if (!points.empty()) { x0 = x1 = points[0].x; y0 = y1 = points[0].y; }
  for (const auto& p : points) { x0 = std::min(x0, p.x); x1 = std::max(x1, p.x); y0 = std::min(y0, p.y); y1 = std::max(y1, p.y); }
  double sx = x1 > x0 ? (W - 2 * M) / (x1 - x0) : 1, sy = y1 > y0 ? (H - 2 * M) / (y1 - y0) : 1;
  auto px = [&](const point2& p) { return M + (p.x - x0) * sx; };
  auto py = [&](const point2& p) { return H - M - (p.y - y0) * sy; };   // y up
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" font-family=\"sans-serif\">\n"
                "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
                "orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#c0392b\"/></marker></defs>\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                W, H, W, H);
  s += buf;
  s += "<text x=\"20\" y=\"28\" font-size=\"16\">" + xml_escape(title) + "</text>\n";
  for (const auto& a : arrows) {
    if (a.from < 0 || a.to < 0 || a.from >= static_cast<int>(points.size()) || a.to >= static_cast<int>(points.size())) continue;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c0392b\" stroke-width=\"1.5\" marker-end=\"url(#head)\"/>\n",
                  px(points[a.from]), py(points[a.from]), px(points[a.to]), py(points[a.to]));
    s += buf;
  }
  for (size_t i = 0; i < points.size(); i++) {
    std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#2c3e50\"/>\n", px(points[i]), py(points[i]));
    s += buf;
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\">", px(points[i]) + 6, py(points[i]) - 6);
    s += buf;
    s += xml_escape(i < labels.size() ? labels[i] : "") + "</text>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace pluma
