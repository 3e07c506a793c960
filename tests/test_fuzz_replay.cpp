// The fuzz targets (tests/fuzz/) in the normal suite: every committed seed and every input that once crashed a
// target (tests/fuzz/regressions/<target>/) is replayed, then each seed is cut at every length up to 512 bytes
// and has bytes flipped at 400 places drawn with a fixed seed. A crash, an abort or a hang fails the run
// (and, under make test-sanitize, any memory error or undefined behaviour). make fuzz explores far more.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/core/rng.h"
#include "tests/fuzz/targets.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::vector<uint8_t>> inputs_in(const fs::path& dir) {
  std::vector<std::vector<uint8_t>> out;
  if (!fs::is_directory(dir)) return out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

const fs::path fuzz_dir = fs::path(PLUMA_SOURCE_DIR) / "tests" / "fuzz";

}  // namespace

TEST_CASE("every fuzz target replays its seeds and past crashes") {
  for (const auto& t : pluma::fuzz::targets) {
    CAPTURE(t.name);
    const auto seeds = inputs_in(fuzz_dir / "seeds" / t.name);
    CHECK(seeds.size() >= 1);   // a target without seeds would test nothing here
    for (const auto& s : seeds) CHECK(t.fn(s.data(), s.size()) == 0);
    for (const auto& r : inputs_in(fuzz_dir / "regressions" / t.name)) CHECK(t.fn(r.data(), r.size()) == 0);
    CHECK(t.fn(nullptr, 0) == 0);
  }
}

TEST_CASE("every fuzz target survives cut and flipped seeds") {
  for (const auto& t : pluma::fuzz::targets) {
    CAPTURE(t.name);
    pluma::rng gen(1234);
    for (const auto& seed : inputs_in(fuzz_dir / "seeds" / t.name)) {
      for (size_t n = 0; n < seed.size() && n <= 512; ++n) t.fn(seed.data(), n);
      std::vector<uint8_t> m = seed;
      for (int k = 0; k < 400 && !m.empty(); ++k) {
        const size_t at = gen.next_u64() % m.size();
        const uint8_t old = m[at];
        m[at] = static_cast<uint8_t>(gen.next_u64());
        t.fn(m.data(), m.size());
        m[at] = old;
      }
    }
  }
}
