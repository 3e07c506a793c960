// One libFuzzer program per target: built with -DPLUMA_FUZZ_TARGET=<function> (CMake, PLUMA_FUZZ=ON).
#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return pluma::fuzz::PLUMA_FUZZ_TARGET(data, size);
}
