// UTF-8: strict validation (for corpus files and user text) and code point stepping.
// Strict means: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/core/status.h"

namespace pluma {

// ok when `text` is valid UTF-8. Otherwise bad_offset is the byte offset of the first invalid
// sequence and the message says "invalid UTF-8 at byte offset N (byte 0xNN)".
status utf8_validate(std::string_view text, size_t& bad_offset);

// Decodes the code point at text[pos] and advances pos past it. Returns false (and advances
// by one byte, setting cp to 0xFFFD) on an invalid sequence, so callers can map it to <unk>.
bool utf8_next(std::string_view text, size_t& pos, uint32_t& cp);

// Appends the UTF-8 encoding of cp (cp must be a valid scalar value).
void utf8_append(std::string& out, uint32_t cp);

}  // namespace pluma
