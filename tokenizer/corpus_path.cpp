#include "tokenizer/corpus_path.h"

#include <cstdlib>
#include <filesystem>

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
  return corpus_resolve_in(name_or_path, corpus_search_dirs(), path_out);
}

status corpus_resolve_in(const std::string& name_or_path, const std::vector<std::string>& dirs,
                         std::string& path_out) {
  if (name_or_path.empty()) return status::error("empty corpus name: give a file path or a corpus name");
  std::error_code ec;
  if (fs::exists(name_or_path, ec)) {   // a directory or special file too: corpus_read says what is wrong
    path_out = name_or_path;
    return status::ok();
  }
  const fs::path name(name_or_path);
  if (name.is_absolute())
    return status::error("corpus file '" + name_or_path + "' not found");
  std::string looked;
  for (const auto& dir : dirs) {
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
                       " or " + name_or_path + ".txt in " + (looked.empty() ? "no data directory" : looked) +
                       (env_set ? "" : " (PLUMA_DATA is not set)") + "; " +
                       corpus_origin_hint(name_or_path));
}

}  // namespace pluma
