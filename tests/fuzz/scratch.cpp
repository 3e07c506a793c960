#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/fuzz/targets.h"

namespace pluma::fuzz {

std::string scratch_file(const uint8_t* data, size_t size, int slot) {
  static const std::string dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  const std::string path = dir + "/pluma_fuzz_" + std::to_string(::getpid()) + "_" + std::to_string(slot);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace pluma::fuzz
