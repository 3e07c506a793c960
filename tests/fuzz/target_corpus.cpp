// Any text: the UTF-8 checker on the bytes in memory and the corpus reader on them as a file.
#include <string>
#include <string_view>

#include "data/corpus.h"
#include "data/utf8_check.h"
#include "tests/fuzz/targets.h"

namespace pluma::fuzz {

int corpus_one(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t bad = utf8_first_invalid_offset(text);
  if (bad != std::string::npos) {
    if (bad >= size) std::abort();   // an offset must point into the text
    (void)line_of_offset(text, bad);
  }
  std::string read;
  const bool ok = static_cast<bool>(corpus_read(scratch_file(data, size), read));
  // The reader and the checker agree: a non-empty valid text reads back unchanged.
  if (ok != (size > 0 && bad == std::string::npos)) std::abort();
  if (ok && read != text) std::abort();
  return 0;
}

}  // namespace pluma::fuzz
