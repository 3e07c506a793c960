// request: reading an API request's JSON body. Every field is checked for its type and range, and a field the
// endpoint does not know is an error, so a typo never passes silently. Mistakes are api_errors: HTTP 400 (or
// 413 for work too large) with the message the CLI gives for the same mistake.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generate/decode_loop.h"

namespace pluma::serve {

struct api_error : std::runtime_error {
  int status;
  api_error(int status, const std::string& message) : std::runtime_error(message), status(status) {}
};

class request_fields {
 public:
  // Parses body as a JSON object whose fields are all among `known` (else a 400 naming the field).
  request_fields(const std::string& body, const std::vector<std::string>& known);

  bool has(const char* name) const { return j_.contains(name); }
  std::string get_string(const char* name, const std::string& fallback) const;
  int64_t get_int(const char* name, int64_t fallback) const;
  uint64_t get_u64(const char* name, uint64_t fallback) const;
  double get_number(const char* name, double fallback) const;
  bool get_bool(const char* name, bool fallback) const;
  // A string or an array of strings (e.g. "stop"); [] when absent.
  std::vector<std::string> get_strings(const char* name) const;
  std::vector<int> get_ints(const char* name) const;
  const nlohmann::json& json() const { return j_; }

 private:
  const nlohmann::json& field(const char* name, const char* type) const;
  nlohmann::json j_;
};

// The sampler's fields, named as the CLI's options with '_' for '-' (--top-k -> "top_k"):
// temperature, top_k, top_p, min_p, repetition_penalty, seed. Absent fields take the CLI's defaults; the seed,
// when absent, comes from the clock (the answer reports it). Range errors are sampler_config_validate's.
// This is the one place that maps JSON to sampler_config (to become the shared option table, issue 15).
sampler_config sampler_config_from_request(const request_fields& r);
// The request fields the sampler reads: the CLI's sampler options (tools/cli_sampler.h) and "seed", added to
// `fields`, an endpoint's own.
std::vector<std::string> with_sampler_fields(std::vector<std::string> fields);

// Nodes of a probs tree with `top` tokens per level and `depth` levels (saturating; V bounds `top`).
int64_t tree_nodes(int64_t top, int64_t depth, int64_t V);
constexpr int64_t max_tree_nodes = 10000;
constexpr size_t max_body_bytes = 64 * 1024;

}  // namespace pluma::serve
