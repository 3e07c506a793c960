#include "tokenizer/utf8_check.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace pluma {

namespace {

// Length of the well-formed sequence starting at s[i], or 0 if it is ill-formed.
size_t utf8_sequence_length(const unsigned char* s, size_t n, size_t i) {
  unsigned char b0 = s[i];
  if (b0 < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;   // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;          // overlong
    if (b0 == 0xED) hi = 0x9F;          // surrogates U+D800..U+DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;          // overlong
    if (b0 == 0xF4) hi = 0x8F;          // above U+10FFFF
  } else {
    return 0;                           // continuation byte, C0/C1 overlong lead, or F5..FF
  }
  if (i + len > n) return 0;
  if (s[i + 1] < lo || s[i + 1] > hi) return 0;
  for (size_t k = 2; k < len; k++)
    if ((s[i + k] & 0xC0) != 0x80) return 0;
  return len;
}

}  // namespace

size_t utf8_first_invalid_offset(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path: 8 bytes at a time while none has its high bit set
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    size_t len = utf8_sequence_length(s, n, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

size_t line_of_offset(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

}  // namespace pluma
