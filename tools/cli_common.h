// Pieces several commands share: loading a checkpoint, threads, device selection, JSON output.
#pragma once
#include <memory>
#include <string>

#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "tools/command.h"

namespace pluma::cli {

// Options every model-using command takes: --checkpoint, --threads, --device.
void add_model_options(cxxopts::Options& opts);
// Applies --threads and --device (cuda: a clear error when this build or machine has no GPU), then loads
// --checkpoint; exits with a message on failure.
void load_model_or_exit(const cxxopts::Options& opts, const cxxopts::ParseResult& r,
                        std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok);
// --tokenizer FILE (a tokenizer file or a .pluma checkpoint) and --side source|target (one of a translator's
// two tokenizers); load_tokenizer_or_exit reads them (a usage error when --tokenizer is missing).
void add_tokenizer_options(cxxopts::Options& opts);
std::unique_ptr<tokenizer> load_tokenizer_or_exit(const cxxopts::Options& opts, const cxxopts::ParseResult& r);
// Sets the OpenMP thread count (n <= 0: leave the default); usage error when n is nonsense.
void apply_threads(const cxxopts::Options& opts, int n);
// Turns a prompt given on the command line into ids: "" -> {<sos>}; escapes \n \t \\ are understood.
std::vector<int> prompt_ids(const tokenizer& tok, const std::string& prompt_escaped);
std::string unescape(const std::string& s);

}  // namespace pluma::cli
