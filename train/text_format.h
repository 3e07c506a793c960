// text_format: the few number <-> text conversions train/ shares (messages, checkpoint metadata).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace pluma {

// "%g": 0.001, 1e+30, 2
inline std::string format_g(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// 64-bit values (rng states, hashes) as 16 hex digits: JSON numbers would lose bits in some readers.
inline std::string format_hex64(uint64_t x) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

inline bool parse_hex64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

}  // namespace pluma
