// Finding corpus files (reading them is data/corpus.h's corpus_read). A corpus is named by a path or, when no such file exists,
// by a short name ("tinyshakespeare", "multi30k/train.de") looked up in the data directories:
// $PLUMA_DATA, then ../shared/data beside the current directory, then ../shared/data beside the
// source tree that holds the executable (BUILD_DIR/..).
#pragma once
#include <string>
#include <vector>

#include "model/core/status.h"

namespace pluma {

// The data directories searched for corpus names, in order (existing or not; deduplicated).
std::vector<std::string> corpus_search_dirs();

// path_out = name_or_path when that file exists; else the first DIR/NAME or DIR/NAME.txt found in
// corpus_search_dirs(). When nothing is found the message says where it looked and where the
// corpus can be had.
status corpus_resolve(const std::string& name_or_path, std::string& path_out);
// The same, searching `dirs` instead of corpus_search_dirs().
status corpus_resolve_in(const std::string& name_or_path, const std::vector<std::string>& dirs,
                         std::string& path_out);

}  // namespace pluma
