// corpus_read: read a whole text file, checked (in tokenizer/, which trains on such files; data/ reads through it). Every corpus enters the engine through corpus_read,
// so a missing file, an empty file or invalid UTF-8 is caught once, with a message that says where.
#pragma once
#include <string>

#include "model/core/status.h"

namespace pluma {

// Reads the file at `path` into `text` (bytes unchanged). Errors:
//   "corpus file 'P' not found" / "cannot open corpus file 'P': <reason>" / "'P' is a directory, not a file"
//   "corpus file 'P' is empty"
//   "corpus file 'P': invalid UTF-8 at byte offset N (line L); convert it to UTF-8 (e.g. iconv)"
status corpus_read(const std::string& path, std::string& text);

// The same checks on text already in memory; `name` is used in the messages.
status corpus_check_text(const std::string& name, const std::string& text);

}  // namespace pluma
