// parallel: a parallel corpus of (source, target) sentence pairs for translation, read from two
// line-aligned files (line i of src translates line i of tgt) or from a TSV (first column source,
// second column target; further columns are ignored).
//
// Line policy: lines end at '\n'; a '\r' before it (CRLF files) is dropped; a final line without '\n'
// counts. Both files go through corpus_read (missing, empty and invalid UTF-8 files are refused).
// Empty lines (or empty TSV fields) are refused naming the line, unless empty_lines = skip, which drops
// the whole pair and counts it in parallel_stats::skipped_empty.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "model/core/status.h"

namespace pluma {

struct sentence_pair {
  std::string src;
  std::string tgt;
};

enum class empty_line_policy { reject, skip };

struct parallel_read_config {
  empty_line_policy empty_lines = empty_line_policy::reject;
  size_t max_pairs = 0;   // 0: all; else keep the first max_pairs pairs
};

struct parallel_stats {
  size_t lines = 0;          // lines read (per file)
  size_t skipped_empty = 0;  // pairs dropped by empty_lines = skip
};

// Errors: "'train.en' has 29000 lines but 'train.de' has 28999; the files must be line-aligned",
//         "line 17 of 'train.de' is empty (...)".
status parallel_read_files(const std::string& src_path, const std::string& tgt_path, std::vector<sentence_pair>& out,
                           const parallel_read_config& cfg = {}, parallel_stats* stats = nullptr);

// Errors: "line 17 of 'x.tsv' has no tab; expected source<TAB>target", "line 17 of 'x.tsv' has an empty source".
status parallel_read_tsv(const std::string& path, std::vector<sentence_pair>& out,
                         const parallel_read_config& cfg = {}, parallel_stats* stats = nullptr);

}  // namespace pluma
