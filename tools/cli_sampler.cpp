#include "tools/cli_sampler.h"

#include <cstdio>

namespace pluma::cli {

std::string sampler_option::json_name() const {
  std::string s = name;
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

std::string sampler_option::default_text() const {
  const sampler_config d;
  if (i32) return std::to_string(d.*i32);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.*f32));
  return buf;
}

const std::vector<sampler_option>& sampler_options() {
  static const std::vector<sampler_option> table = {
      {"temperature", "Softmax temperature; 0 = greedy", &sampler_config::temperature, nullptr},
      {"top-k", "Keep the k most likely tokens (0 = off)", nullptr, &sampler_config::top_k},
      {"top-p", "Keep the smallest set with this much probability (1 = off)", &sampler_config::top_p, nullptr},
      {"min-p", "Keep tokens with at least this fraction of the top token's probability (0 = off)",
       &sampler_config::min_p, nullptr},
      {"repetition-penalty", "Penalize recently seen tokens (1 = off)", &sampler_config::repetition_penalty, nullptr},
  };
  return table;
}

void add_sampler_options(cxxopts::Options& opts) {
  for (const auto& o : sampler_options()) {
    if (o.i32) opts.add_options()(o.name, o.help, cxxopts::value<int>()->default_value(o.default_text()));
    else opts.add_options()(o.name, o.help, cxxopts::value<float>()->default_value(o.default_text()));
  }
}

void sampler_options_read(const cxxopts::ParseResult& r, sampler_config& cfg) {
  for (const auto& o : sampler_options()) {
    if (o.i32) cfg.*o.i32 = r[o.name].as<int>();
    else cfg.*o.f32 = r[o.name].as<float>();
  }
}

}  // namespace pluma::cli
