#include "tokenizer/corpus_path.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tokenizer/utf8.h"

namespace pluma {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// Where a corpus can be downloaded, for the message when it is missing.
std::string corpus_origin_hint(const std::string& name) {
  if (name == "tinyshakespeare" || name == "tinyshakespeare.txt")
    return "download it from "
           "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
           " and save it as tinyshakespeare.txt in one of those directories";
  return "the corpora and where to get them are listed in shared/data/SOURCES.md beside the project";
}

}  // namespace

std::vector<std::string> corpus_search_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("PLUMA_DATA"); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (!ec) dirs.push_back(cwd / ".." / "shared" / "data");
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path() / ".." / ".." / "shared" / "data");
  std::vector<std::string> out;
  for (const auto& d : dirs) {
    const std::string s = d.lexically_normal().string();
    bool seen = false;
    for (const auto& o : out) seen = seen || o == s;
    if (!seen) out.push_back(s);
  }
  return out;
}

status corpus_resolve(const std::string& name_or_path, std::string& path_out) {
  if (name_or_path.empty()) return status::error("empty corpus name: give a file path or a corpus name");
  if (is_file(name_or_path)) {
    path_out = name_or_path;
    return status::ok();
  }
  const fs::path name(name_or_path);
  if (name.is_absolute())
    return status::error("cannot open corpus '" + name_or_path + "': no such file");
  std::string looked;
  for (const auto& dir : corpus_search_dirs()) {
    for (const std::string suffix : {"", ".txt"}) {
      const fs::path candidate = fs::path(dir) / (name_or_path + suffix);
      if (is_file(candidate)) {
        path_out = candidate.string();
        return status::ok();
      }
    }
    looked += (looked.empty() ? "" : ", ") + dir;
  }
  const bool env_set = std::getenv("PLUMA_DATA") && *std::getenv("PLUMA_DATA");
  return status::error("corpus '" + name_or_path + "' not found: no such file, and no " + name_or_path +
                       " or " + name_or_path + ".txt in " + looked +
                       (env_set ? "" : " (PLUMA_DATA is not set)") + "; " +
                       corpus_origin_hint(name_or_path));
}

status corpus_read(const std::string& path, std::string& text_out) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return status::error("cannot read corpus '" + path + "': it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return status::error("cannot open corpus '" + path + "': " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return status::error("error reading corpus '" + path + "'");
  std::string text = std::move(buf).str();
  if (text.empty()) return status::error("corpus '" + path + "' is empty: give a file with some text");
  size_t bad_offset = 0;
  PLUMA_TRY(utf8_validate(text, bad_offset).with_context("corpus '" + path + "' is not UTF-8 text"));
  text_out = std::move(text);
  return status::ok();
}

}  // namespace pluma
