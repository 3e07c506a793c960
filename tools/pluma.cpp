// pluma: train and sample autoregressive language models. This file only dispatches to commands.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>

#include "tools/command.h"

#ifndef PLUMA_VERSION
#define PLUMA_VERSION "dev"
#endif

namespace pluma::cli {

std::vector<command>& command_table() {
  static std::vector<command> table;
  return table;
}

}  // namespace pluma::cli

namespace {

std::string build_description() {
  std::string s = std::string("pluma ") + PLUMA_VERSION;
#ifdef PLUMA_HAVE_CUDA
  s += " (CPU + CUDA";
#else
  s += " (CPU only";
#endif
#if defined(PLUMA_HAVE_MPI) && defined(PLUMA_HAVE_NCCL)
  s += ", MPI, NCCL)";
#elif defined(PLUMA_HAVE_MPI)
  s += ", MPI)";
#else
  s += ", no MPI)";
#endif
  return s;
}

void print_usage(std::FILE* f) {
  auto table = pluma::cli::command_table();
  std::sort(table.begin(), table.end(),
            [](const auto& a, const auto& b) { return std::strcmp(a.name, b.name) < 0; });
  std::fprintf(f, "Usage: pluma COMMAND [OPTIONS]   (pluma COMMAND --help for its options)\n\nCommands:\n");
  for (const auto& c : table) std::fprintf(f, "  %-12s %s\n", c.name, c.summary);
  std::fprintf(f, "\nOptions:\n  -h, --help     Show this help\n  --version      Show the version and build\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    print_usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("%s\n", build_description().c_str());
    return 0;
  }
  for (const auto& c : pluma::cli::command_table()) {
    if (cmd == c.name) {
      std::string prog = std::string("pluma ") + c.name;
      std::vector<char*> args(argv + 1, argv + argc);
      args[0] = prog.data();
      // Whatever a library throws (memory, a filesystem error) still ends in one line.
      try {
        return c.run(static_cast<int>(args.size()), args.data());
      } catch (const std::bad_alloc&) {
        pluma::cli::fail("out of memory: the model or the data is too large for this machine");
      } catch (const std::exception& e) {
        pluma::cli::fail(e.what());
      }
    }
  }
  if (cmd.rfind("-", 0) == 0) pluma::cli::usage_error("pluma", "unknown option '" + cmd + "'");
  std::vector<std::string> names;
  for (const auto& c : pluma::cli::command_table()) names.push_back(c.name);
  const std::string near = pluma::cli::option_suggestion(cmd, names);
  pluma::cli::usage_error("pluma", "unknown command '" + cmd + "'" + (near.empty() ? "" : " (did you mean '" + near + "'?)"));
}
