// The CLI's command registry. Each tools/cmd_*.cpp registers itself with PLUMA_COMMAND;
// tools/pluma.cpp dispatches. Commands parse options into typed configs and call the libraries.
#pragma once
#include <cxxopts.hpp>
#include <functional>
#include <string>
#include <vector>

namespace pluma::cli {

using command_fn = int (*)(int argc, char** argv);   // argv[0] is "pluma COMMAND"

struct command {
  const char* name;
  const char* summary;
  command_fn run;
};

std::vector<command>& command_table();

struct command_registrar {
  command_registrar(const char* name, const char* summary, command_fn fn) {
    command_table().push_back({name, summary, fn});
  }
};

// Parses argv with `opts`. On an unknown option or a bad value prints one line naming it (an unknown option
// with the nearest valid one) and where the help is, and exits with code 2; on --help prints the help and
// exits 0. Commands add "help" themselves via add_help. (tools/cli_errors.cpp)
cxxopts::ParseResult parse_or_exit(cxxopts::Options& opts, int argc, char** argv);
void add_help(cxxopts::Options& opts);

// A usage error found after parsing (nonsense values, missing required options): "pluma: <message>" and
// "Try '<program> --help'.", exit 2.
[[noreturn]] void usage_error(const cxxopts::Options& opts, const std::string& message);
[[noreturn]] void usage_error(const std::string& program, const std::string& message);
// A runtime failure (bad file, corrupt checkpoint, ...): "pluma: <message>", exit 1.
[[noreturn]] void fail(const std::string& message);
// The same messages without the exit (for a caller that must do more before it ends: cli_ranks.h).
void say_usage_error(const std::string& program, const std::string& message);
void say_failure(const std::string& message);

// The option among `names` (long names, without dashes) that `unknown` most likely meant, or "" when none
// is close: a name other tools use for it, a typo or a prefix.
std::string option_suggestion(const std::string& unknown, const std::vector<std::string>& names);

}  // namespace pluma::cli

#define PLUMA_CLI_CONCAT2(a, b) a##b
#define PLUMA_CLI_CONCAT(a, b) PLUMA_CLI_CONCAT2(a, b)
#define PLUMA_COMMAND(name, summary, fn) \
  static ::pluma::cli::command_registrar PLUMA_CLI_CONCAT(pluma_cmd_, __LINE__)(name, summary, fn)
