// Writing a whole file so that a failure never leaves a half file: the bytes go to PATH.tmp, are flushed to
// the disk, then renamed over PATH. On any failure the temporary file is removed and PATH is as it was.
#pragma once
#include <string>
#include <string_view>

#include "model/core/status.h"

namespace pluma {

// `what` names the file in errors ("tokenizer", "SentencePiece model", ...).
status file_write_atomic(const std::string& path, std::string_view bytes, const std::string& what);

}  // namespace pluma
