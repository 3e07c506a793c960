#include "tools/serve/request.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "tools/cli_sampler.h"
namespace pluma::serve {

namespace {

[[noreturn]] void bad(const std::string& message) { throw api_error(400, message); }

}  // namespace

request_fields::request_fields(const std::string& body, const std::vector<std::string>& known) {
  j_ = nlohmann::json::parse(body, nullptr, false);
  if (j_.is_discarded()) bad("the request body is not valid JSON");
  if (!j_.is_object()) bad("the request body must be a JSON object");
  for (const auto& [key, value] : j_.items()) {
    if (std::none_of(known.begin(), known.end(), [&](const std::string& k) { return key == k; })) {
      std::string msg = "unknown field '" + key + "'";
      std::string underscored = key;
      std::replace(underscored.begin(), underscored.end(), '-', '_');
      if (underscored != key && std::any_of(known.begin(), known.end(), [&](const std::string& k) { return underscored == k; }))
        msg += " (did you mean '" + underscored + "'?)";
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      bad(msg + "; this endpoint takes: " + list);
    }
  }
}

const nlohmann::json& request_fields::field(const char* name, const char* type) const {
  const nlohmann::json& v = j_.at(name);
  bool ok = false;
  const std::string t = type;
  if (t == "string") ok = v.is_string();
  else if (t == "integer") ok = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                                         std::floor(v.get<double>()) == v.get<double>());
  else if (t == "number") ok = v.is_number();
  else if (t == "boolean") ok = v.is_boolean();
  if (!ok) bad("'" + std::string(name) + "' must be " + (t == "integer" ? "an " : "a ") + t + ", got " + v.dump());
  return v;
}

std::string request_fields::get_string(const char* name, const std::string& fallback) const {
  return has(name) ? field(name, "string").get<std::string>() : fallback;
}

int64_t request_fields::get_int(const char* name, int64_t fallback) const {
  if (!has(name)) return fallback;
  const nlohmann::json& v = field(name, "integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()))
    bad("'" + std::string(name) + "' is too large: " + v.dump());
  const double d = v.get<double>();
  if (d > std::numeric_limits<int32_t>::max() || d < std::numeric_limits<int32_t>::min())
    bad("'" + std::string(name) + "' is out of range: " + v.dump());
  return static_cast<int64_t>(d);
}

uint64_t request_fields::get_u64(const char* name, uint64_t fallback) const {
  if (!has(name)) return fallback;
  const nlohmann::json& v = field(name, "integer");
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  if (v.is_number_float() && v.get<double>() >= 0 && v.get<double>() < 1.8e19) return static_cast<uint64_t>(v.get<double>());
  bad("'" + std::string(name) + "' must be a non-negative integer, got " + v.dump());
}

double request_fields::get_number(const char* name, double fallback) const {
  return has(name) ? field(name, "number").get<double>() : fallback;
}

bool request_fields::get_bool(const char* name, bool fallback) const {
  return has(name) ? field(name, "boolean").get<bool>() : fallback;
}

std::vector<std::string> request_fields::get_strings(const char* name) const {
  if (!has(name)) return {};
  const nlohmann::json& v = j_.at(name);
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array()) bad("'" + std::string(name) + "' must be a string or an array of strings");
  std::vector<std::string> out;
  for (const auto& x : v) {
    if (!x.is_string()) bad("'" + std::string(name) + "' must be a string or an array of strings");
    out.push_back(x.get<std::string>());
  }
  return out;
}

std::vector<int> request_fields::get_ints(const char* name) const {
  if (!has(name)) return {};
  const nlohmann::json& v = j_.at(name);
  if (!v.is_array()) bad("'" + std::string(name) + "' must be an array of integers");
  std::vector<int> out;
  for (const auto& x : v) {
    if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() > std::numeric_limits<int32_t>::max())
      bad("'" + std::string(name) + "' must be an array of non-negative integers");
    out.push_back(static_cast<int>(x.get<int64_t>()));
  }
  return out;
}

std::vector<std::string> with_sampler_fields(std::vector<std::string> fields) {
  for (const auto& o : cli::sampler_options()) fields.push_back(o.json_name());
  fields.push_back("seed");
  return fields;
}

sampler_config sampler_config_from_request(const request_fields& r) {
  sampler_config c;  // the CLI's defaults: pluma generate --help
  // A float field: a value a float cannot hold stays out of range instead of becoming inf.
  auto as_float = [&](const char* name, float fallback) {
    double d = r.get_number(name, fallback);
    if (!std::isfinite(d) || std::fabs(d) > 1e30) bad("'" + std::string(name) + "' is out of range: " + std::to_string(d));
    return static_cast<float>(d);
  };
  // The CLI's sampler options (tools/cli_sampler.h), by the same names with _ for -.
  for (const auto& o : cli::sampler_options()) {
    const std::string name = o.json_name();
    if (o.i32) c.*o.i32 = static_cast<int>(r.get_int(name.c_str(), c.*o.i32));
    else c.*o.f32 = as_float(name.c_str(), c.*o.f32);
  }
  c.seed = r.has("seed") ? r.get_u64("seed", 0)
                         : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) % 1000000007ULL;
  if (status st = sampler_config_validate(c); !st) bad(st.message());
  return c;
}

int64_t tree_nodes(int64_t top, int64_t depth, int64_t V) {
  const int64_t k = std::min(top, V);
  int64_t total = 0, level = 1;
  for (int64_t d = 0; d < depth; d++) {
    if (level > max_tree_nodes) return max_tree_nodes + 1;  // saturate: the answer is "too many" already
    level *= k;
    total += level;
  }
  return total;
}

}  // namespace pluma::serve
