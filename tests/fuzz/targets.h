// Fuzz targets: one function per reader of outside bytes. Each takes any bytes, must never crash, hang or
// leak, and returns 0. tests/fuzz/fuzz_main.cpp turns one of them into a libFuzzer program (make fuzz);
// tests/test_fuzz_replay.cpp runs every one of them on its committed seeds and on every input that once
// crashed it (tests/fuzz/regressions/<target>/), in the normal test suite.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace pluma::fuzz {

using target_fn = int (*)(const uint8_t* data, size_t size);

int checkpoint_one(const uint8_t* data, size_t size);   // checkpoint reader, then the model loaders
int tokenizer_one(const uint8_t* data, size_t size);    // tokenizer container, each kind's payload
int shard_one(const uint8_t* data, size_t size);        // token shard header and ids
int corpus_one(const uint8_t* data, size_t size);       // UTF-8 checker and corpus reader
int parallel_one(const uint8_t* data, size_t size);     // TSV and line-aligned parallel corpus readers
int metrics_one(const uint8_t* data, size_t size);      // metrics JSONL reader and the plot behind pluma plot
int vectors_one(const uint8_t* data, size_t size);      // word vectors, analogy questions and expressions
int chart_one(const uint8_t* data, size_t size);        // chart file reader and the chart behind pluma plot --chart

struct target {
  const char* name;
  target_fn fn;
};
inline constexpr target targets[] = {
    {"checkpoint", checkpoint_one}, {"tokenizer", tokenizer_one}, {"shard", shard_one},
    {"corpus", corpus_one},         {"parallel", parallel_one},   {"metrics", metrics_one},
    {"vectors", vectors_one},       {"chart", chart_one},
};

// The readers take paths: the bytes go to a file of this process's own (in /dev/shm when it exists), which
// is rewritten for every input and removed at exit. `slot` (0..2) tells apart the files one input needs.
std::string scratch_file(const uint8_t* data, size_t size, int slot = 0);

}  // namespace pluma::fuzz
