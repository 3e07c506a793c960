// pluma train's options, declared once (help text and default from train_config) for every model kind, and the
// checks of which options go with which kind and with a resumed checkpoint.
#pragma once
#include <cxxopts.hpp>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "model/core/status.h"
#include "train/train_config.h"

namespace pluma::cli {

// Binds cxxopts options to fields: help text and default once, applied only when given.
class option_table {
 public:
  explicit option_table(cxxopts::Options& o) : opts_(o) {}

  template <class T>
  void add(const std::string& group, const std::string& name, const std::string& help, T& field) {
    opts_.add_options(group)(name, help, cxxopts::value<T>()->default_value(show(field)));
    setters_.push_back({name, [name, &field](const cxxopts::ParseResult& r) {
                          field = r[name].as<T>();
                          return status::ok();
                        }});
  }
  // A field whose text needs parsing (enums, durations): `set` turns the text into the field.
  void add_text(const std::string& group, const std::string& name, const std::string& help, const std::string& shown,
                std::function<status(const std::string&)> set) {
    opts_.add_options(group)(name, help, cxxopts::value<std::string>()->default_value(shown));
    setters_.push_back({name, [name, set](const cxxopts::ParseResult& r) {
                          return set(r[name].as<std::string>()).with_context("--" + name);
                        }});
  }
  void add_flag(const std::string& group, const std::string& name, const std::string& help,
                std::function<void()> set) {
    opts_.add_options(group)(name, help);
    setters_.push_back({name, [set](const cxxopts::ParseResult&) {
                          set();
                          return status::ok();
                        }});
  }
  // Sets the fields of the options given; `given` collects their names.
  status apply(const cxxopts::ParseResult& r, std::set<std::string>* given = nullptr) const {
    for (const auto& s : setters_)
      if (r.count(s.name)) {
        PLUMA_TRY(s.set(r));
        if (given) given->insert(s.name);
      }
    return status::ok();
  }

 private:
  template <class T>
  static std::string show(const T& v) {
    if constexpr (std::is_same_v<T, std::string>) return v;
    else if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
      return buf;
    } else return std::to_string(v);
  }
  struct setter {
    std::string name;
    std::function<status(const cxxopts::ParseResult&)> set;
  };
  cxxopts::Options& opts_;
  std::vector<setter> setters_;
};

// Every option of pluma train, bound to cfg's fields; --preset to `preset`.
void declare_train_options(option_table& t, train_config& c, std::string& preset);


// Options of another model kind are refused rather than silently ignored.
status check_model_options(const std::set<std::string>& given, model_kind kind);

// A resumed run: the options given must agree with the checkpoint's settings (`saved`) where they cannot
// change (the model's shape, its data and batches); `cfg` is saved with the options laid over it, and
// `preset_cfg`, when a --preset was given, what that preset sets. Errors name the option, the checkpoint's
// value and the given one.
status check_resume_overrides(const std::set<std::string>& given, const train_config& saved, const train_config& cfg,
                              const train_config* preset_cfg);

}  // namespace pluma::cli
