// UTF-8 code point stepping for the tokenizers. Validation of whole texts is data/utf8_check.h;
// utf8_next applies the same strict rules (no overlong forms, no surrogates, nothing above U+10FFFF).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pluma {

// Decodes the code point at text[pos] and advances pos past it. Returns false (and advances
// by one byte, setting cp to 0xFFFD) on an invalid sequence, so callers can map it to <unk>.
bool utf8_next(std::string_view text, size_t& pos, uint32_t& cp);

// Appends the UTF-8 encoding of cp (cp must be a valid scalar value).
void utf8_append(std::string& out, uint32_t cp);

}  // namespace pluma
