// Text streamed to stdout as a model produces it. On a terminal every piece is shown at once; into a pipe or a
// file the pieces are written in bursts (a piece arriving burst_interval after the last burst writes the next
// one, and the caller flushes at the end of each sample), so a reader still sees the text arrive while a fast
// model does not pay one write(2) per token (a tenth of a small GPT's decoding time).
#pragma once
#include <chrono>
#include <cstdio>
#include <string>

namespace pluma::cli {

class text_stream {
 public:
  static constexpr std::chrono::milliseconds burst_interval{50};

  explicit text_stream(std::FILE* f = stdout);
  ~text_stream() { flush(); }
  text_stream(const text_stream&) = delete;
  text_stream& operator=(const text_stream&) = delete;

  void write(const std::string& piece);
  void flush();
  // After the last flush: whether everything written reached the file (false: a full disk, a closed pipe...).
  bool ok() const { return !std::ferror(f_); }

 private:
  std::FILE* f_;
  bool terminal_;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace pluma::cli
