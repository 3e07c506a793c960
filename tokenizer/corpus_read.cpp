#include "tokenizer/corpus_read.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

#include "tokenizer/utf8_check.h"

namespace pluma {

status corpus_check_text(const std::string& name, const std::string& text) {
  if (text.empty()) return status::error("corpus file '" + name + "' is empty");
  size_t bad = utf8_first_invalid_offset(text);
  if (bad != std::string::npos)
    return status::error("corpus file '" + name + "': invalid UTF-8 at byte offset " + std::to_string(bad) +
                         " (line " + std::to_string(line_of_offset(text, bad)) +
                         "); convert it to UTF-8 (e.g. iconv)");
  return status::ok();
}

status corpus_read(const std::string& path, std::string& text) {
  text.clear();
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return status::error("corpus file '" + path + "' not found");
    return status::error("cannot open corpus file '" + path + "': " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return status::error("'" + path + "' is a directory, not a file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return status::error("cannot open corpus file '" + path + "': " + std::strerror(errno));
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return status::error("error reading corpus file '" + path + "'");
  return corpus_check_text(path, text);
}

}  // namespace pluma
