#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/fuzz/targets.h"

namespace pluma::fuzz {

namespace {

// The files of this process, removed when it exits.
struct scratch_files {
  std::string dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  bool used[3] = {};
  std::string path(int slot) const {
    return dir + "/pluma_fuzz_" + std::to_string(::getpid()) + "_" + std::to_string(slot);
  }
  ~scratch_files() {
    for (int s = 0; s < 3; ++s)
      if (used[s]) std::remove(path(s).c_str());
  }
};

}  // namespace

std::string scratch_file(const uint8_t* data, size_t size, int slot) {
  static scratch_files files;
  if (slot < 0 || slot > 2) std::abort();
  files.used[slot] = true;
  const std::string path = files.path(slot);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace pluma::fuzz
