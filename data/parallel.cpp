#include "data/parallel.h"

#include <string_view>

#include "data/corpus.h"

namespace pluma {

namespace {

// The lines of `text` (no '\n', a trailing '\r' dropped); a final '\n' does not open an extra line.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

status empty_error(size_t line, const std::string& path, const char* what) {
  return status::error("line " + std::to_string(line) + " of '" + path + "' " + what +
                       "; remove it or skip empty lines");
}

// Appends a pair, or applies the empty-line policy to a pair with an empty side.
status add_pair(std::string_view src, std::string_view tgt, size_t line, const std::string& src_name,
                const std::string& tgt_name, const char* src_what, const char* tgt_what,
                const parallel_read_config& cfg, parallel_stats& stats, std::vector<sentence_pair>& out) {
  if (src.empty() || tgt.empty()) {
    if (cfg.empty_lines == empty_line_policy::skip) {
      stats.skipped_empty++;
      return status::ok();
    }
    return src.empty() ? empty_error(line, src_name, src_what) : empty_error(line, tgt_name, tgt_what);
  }
  out.push_back({std::string(src), std::string(tgt)});
  return status::ok();
}

bool full(const parallel_read_config& cfg, const std::vector<sentence_pair>& out) {
  return cfg.max_pairs != 0 && out.size() >= cfg.max_pairs;
}

}  // namespace

status parallel_read_files(const std::string& src_path, const std::string& tgt_path, std::vector<sentence_pair>& out,
                           const parallel_read_config& cfg, parallel_stats* stats_out) {
  out.clear();
  std::string src_text, tgt_text;
  PLUMA_TRY(corpus_read(src_path, src_text));
  PLUMA_TRY(corpus_read(tgt_path, tgt_text));
  const auto src = split_lines(src_text), tgt = split_lines(tgt_text);
  if (src.size() != tgt.size())
    return status::error("'" + src_path + "' has " + std::to_string(src.size()) + " lines but '" + tgt_path +
                         "' has " + std::to_string(tgt.size()) + "; the files must be line-aligned");
  parallel_stats stats;
  stats.lines = src.size();
  for (size_t i = 0; i < src.size() && !full(cfg, out); i++)
    PLUMA_TRY(add_pair(src[i], tgt[i], i + 1, src_path, tgt_path, "is empty", "is empty", cfg, stats, out));
  if (stats_out) *stats_out = stats;
  return status::ok();
}

status parallel_read_tsv(const std::string& path, std::vector<sentence_pair>& out, const parallel_read_config& cfg,
                         parallel_stats* stats_out) {
  out.clear();
  std::string text;
  PLUMA_TRY(corpus_read(path, text));
  const auto lines = split_lines(text);
  parallel_stats stats;
  stats.lines = lines.size();
  for (size_t i = 0; i < lines.size() && !full(cfg, out); i++) {
    std::string_view line = lines[i];
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      if (line.empty()) {
        if (cfg.empty_lines == empty_line_policy::reject) return empty_error(i + 1, path, "is empty");
        stats.skipped_empty++;
        continue;
      }
      return status::error("line " + std::to_string(i + 1) + " of '" + path +
                           "' has no tab; expected source<TAB>target");
    }
    std::string_view src = line.substr(0, tab);
    std::string_view tgt = line.substr(tab + 1);
    tgt = tgt.substr(0, tgt.find('\t'));   // further columns are ignored
    PLUMA_TRY(add_pair(src, tgt, i + 1, path, path, "has an empty source", "has an empty target", cfg, stats, out));
  }
  if (stats_out) *stats_out = stats;
  return status::ok();
}

}  // namespace pluma
