#include "tools/cli_stream.h"

#include <unistd.h>

namespace pluma::cli {

text_stream::text_stream(std::FILE* f)
    : f_(f), terminal_(isatty(fileno(f)) != 0), last_flush_(std::chrono::steady_clock::now()) {}

void text_stream::write(const std::string& piece) {
  std::fwrite(piece.data(), 1, piece.size(), f_);
  if (terminal_) {
    std::fflush(f_);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_flush_ >= burst_interval) {
    std::fflush(f_);
    last_flush_ = now;
  }
}

void text_stream::flush() {
  std::fflush(f_);
  last_flush_ = std::chrono::steady_clock::now();
}

}  // namespace pluma::cli
