#include "train/chart_file.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pluma {

namespace {

using json = nlohmann::json;

// Only the keys in `known`, each of the JSON type its checker accepts.
status check_keys(const json& obj, const std::string& where, std::initializer_list<const char*> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) return status::error(where + "unknown key '" + it.key() + "'");
  }
  return status::ok();
}

status get_string(const json& obj, const char* key, const std::string& where, std::string& out) {
  if (!obj.contains(key)) return status::ok();
  if (!obj[key].is_string()) return status::error(where + "'" + key + "' must be a string");
  out = obj[key].get<std::string>();
  return status::ok();
}

status get_bool(const json& obj, const char* key, const std::string& where, bool& out) {
  if (!obj.contains(key)) return status::ok();
  if (!obj[key].is_boolean()) return status::error(where + "'" + key + "' must be true or false");
  out = obj[key].get<bool>();
  return status::ok();
}

status read_points(const json& pts, const std::string& where, size_t& budget, chart_series& s) {
  if (!pts.is_array()) return status::error(where + "'points' must be an array of [x, y] pairs");
  if (pts.size() > budget) return status::error("more than " + std::to_string(chart_max_points) + " points");
  budget -= pts.size();
  for (size_t i = 0; i < pts.size(); i++) {
    const json& p = pts[i];
    const std::string at = where + "point " + std::to_string(i + 1) + ": ";
    if (!p.is_array() || p.size() != 2) return status::error(at + "not an [x, y] pair");
    if (!p[0].is_number() || !p[1].is_number()) return status::error(at + "x and y must be numbers");
    const double x = p[0].get<double>(), y = p[1].get<double>();
    if (!std::isfinite(x) || !std::isfinite(y)) return status::error(at + "not a finite number");
    s.xy.push_back({x, y});
  }
  return status::ok();
}

status read_series(const json& j, size_t index, size_t& budget, chart_series& s) {
  std::string where = "series " + std::to_string(index + 1) + ": ";
  if (!j.is_object()) return status::error(where + "not an object");
  PLUMA_TRY(check_keys(j, where, {"name", "points", "color", "dots", "right"}));
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
    return status::error(where + "needs a \"name\" (a non-empty string)");
  s.name = j["name"].get<std::string>();
  where = "series '" + s.name + "': ";
  PLUMA_TRY(get_string(j, "color", where, s.color));
  PLUMA_TRY(get_bool(j, "dots", where, s.dots));
  PLUMA_TRY(get_bool(j, "right", where, s.right));
  if (!j.contains("points")) return status::error(where + "needs \"points\": [[x, y], ...]");
  PLUMA_TRY(read_points(j["points"], where, budget, s));
  if (s.xy.empty()) return status::error("series '" + s.name + "' has no points");
  return status::ok();
}

}  // namespace

status chart_from_json(const std::string& text, std::vector<chart_series>& series, chart_options& opt) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return status::error("not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception& e) {   // a number beyond a double's range ("number overflow parsing '1e999'")
    const std::string what = e.what();
    return status::error(what.substr(what.find("] ") == std::string::npos ? 0 : what.find("] ") + 2));
  }
  if (!j.is_object()) return status::error("not a JSON object");
  PLUMA_TRY(check_keys(j, "", {"title", "x_label", "y_label", "right_label", "log_x", "log_y", "series"}));
  chart_options o;
  PLUMA_TRY(get_string(j, "title", "", o.title));
  PLUMA_TRY(get_string(j, "x_label", "", o.x_label));
  PLUMA_TRY(get_string(j, "y_label", "", o.y_label));
  PLUMA_TRY(get_string(j, "right_label", "", o.right_label));
  PLUMA_TRY(get_bool(j, "log_x", "", o.log_x));
  PLUMA_TRY(get_bool(j, "log_y", "", o.log_y));
  if (!j.contains("series") || !j["series"].is_array()) return status::error("needs \"series\": [...]");
  const json& arr = j["series"];
  if (arr.empty()) return status::error("no series to draw");
  if (arr.size() > chart_max_series)
    return status::error(std::to_string(arr.size()) + " series, more than " + std::to_string(chart_max_series));
  std::vector<chart_series> out(arr.size());
  size_t budget = chart_max_points;
  for (size_t i = 0; i < arr.size(); i++) PLUMA_TRY(read_series(arr[i], i, budget, out[i]));
  series = std::move(out);
  opt = o;
  return status::ok();
}

status chart_file_read(const std::string& path, std::vector<chart_series>& series, chart_options& opt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return status::error("cannot open chart file '" + path + "'");
  std::ostringstream text;
  char buf[1 << 16];
  size_t total = 0;
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    total += static_cast<size_t>(in.gcount());
    if (total > chart_file_max_bytes)
      return status::error("chart file '" + path + "' is larger than " + std::to_string(chart_file_max_bytes >> 20) +
                           " MiB");
    text.write(buf, in.gcount());
  }
  if (in.bad()) return status::error("cannot read chart file '" + path + "'");
  return chart_from_json(text.str(), series, opt).with_context(path);
}

}  // namespace pluma
