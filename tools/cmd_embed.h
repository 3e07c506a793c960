// pluma embed: word vectors — the subcommands, each `int run(argc, argv)` with argv[0] "pluma embed SUB".
#pragma once
#include <string>

#include "model/embed/vectors.h"
#include "tools/command.h"

namespace pluma::cli {

int embed_nearest(int argc, char** argv);
int embed_analogy(int argc, char** argv);
int embed_eval(int argc, char** argv);
int embed_map(int argc, char** argv);
int embed_train(int argc, char** argv);

// Reads --vectors (a vectors file or a .pluma checkpoint); a usage error when it is missing, fail() when unreadable.
word_vectors load_vectors_or_exit(const cxxopts::Options& opts, const cxxopts::ParseResult& r);
// The row of a word (exact, else case-insensitive); fail() naming it when it is not in the vocabulary.
int word_row_or_exit(const word_vectors& v, const std::string& word);

}  // namespace pluma::cli
