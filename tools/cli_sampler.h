// The sampler's options, declared once: their names, help and defaults (taken from sampler_config{}). pluma
// generate and pluma translate add them to their command line; pluma serve reads the same names from JSON
// (with _ for -), so a name or a default never differs between them.
#pragma once
#include <string>
#include <vector>

#include "generate/sampler.h"
#include "tools/command.h"

namespace pluma::cli {

struct sampler_option {
  const char* name;                      // command-line name, e.g. "top-k"; JSON: json_name()
  const char* help;
  float sampler_config::*f32 = nullptr;  // the field it sets: a float ...
  int sampler_config::*i32 = nullptr;    // ... or an int
  std::string json_name() const;         // "top_k"
  std::string default_text() const;      // from sampler_config{}
};

const std::vector<sampler_option>& sampler_options();

void add_sampler_options(cxxopts::Options& opts);
// Sets the fields of `cfg` from the options (their defaults when not given).
void sampler_options_read(const cxxopts::ParseResult& r, sampler_config& cfg);

}  // namespace pluma::cli
