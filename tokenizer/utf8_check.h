// utf8_check: strict UTF-8 validation for corpus files (Unicode Table 3-7 well-formed sequences:
// no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence at the end).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace pluma {

// Byte offset of the first byte that starts an ill-formed sequence, or std::string_view::npos if
// `text` is well-formed UTF-8.
size_t utf8_first_invalid_offset(std::string_view text);

// 1-based line number of byte `offset` in `text` (counts '\n' before it), for error messages.
size_t line_of_offset(std::string_view text, size_t offset);

}  // namespace pluma
