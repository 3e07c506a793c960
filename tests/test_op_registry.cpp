// The op case registry itself (tests/op_cases.h), checked on the CPU: every op with a CUDA file has cases that
// the CPU<->CUDA parity test runs, every case names real op files, and only ops with a CUDA kernel are handed
// to the GPU (an op with only a CPU backend aborts there, which once ended the parity run after a few cases).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tests/op_cases.h"

using namespace pluma;
using namespace pluma::op_test;
namespace fs = std::filesystem;

namespace {

const fs::path source_dir = PLUMA_SOURCE_DIR;

// basenames of model/ops/cuda/*.cu
std::set<std::string> cuda_files() {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(source_dir / "model/ops/cuda"))
    if (e.path().extension() == ".cu") names.insert(e.path().stem().string());
  return names;
}

}  // namespace

TEST_CASE("every op that has a CUDA file appears in the parity list") {
  const std::set<std::string> files = cuda_files();
  REQUIRE(files.size() >= 10);   // the directory was found
  std::set<std::string> covered;
  for (const op_case& c : cuda_parity_cases()) covered.insert(c.op);
  for (const std::string& op : files) {
    INFO("model/ops/cuda/", op, ".cu has no case in cuda_parity_cases(): add one to tests/op_cases.h");
    CHECK(covered.count(op) == 1);
  }
}

TEST_CASE("every case names its op's files; only ops with a CUDA file run on the GPU") {
  std::set<std::string> names;
  const std::set<std::string> files = cuda_files();
  size_t cpu_only = 0;
  for (const op_case& c : op_cases()) {
    INFO("case ", c.name, " (op '", c.op, "')");
    CHECK(names.insert(c.name).second);   // names are unique
    REQUIRE(!c.op.empty());
    CHECK(fs::exists(source_dir / "model/ops" / (c.op + ".h")));
    CHECK(fs::exists(source_dir / "model/ops/cpu" / (c.op + ".cpp")));
    CHECK(runs_on(c, device::cpu));   // the CPU is every case's oracle
    CHECK(runs_on(c, device::cuda) == (files.count(c.op) == 1));
    cpu_only += !runs_on(c, device::cuda);
  }
  CHECK(cpu_only >= 10);   // the LSTM and seq2seq ops: CPU only so far
  for (const op_case& c : cuda_parity_cases()) {
    INFO("case ", c.name);
    CHECK(c.op != "lstm");
    CHECK(c.op != "luong_attention");
    CHECK(c.op != "seq_ops");
  }
}

TEST_CASE("the parity test enumerates the registry only through the GPU filter") {
  std::ifstream in(source_dir / "tests/test_cuda_parity.cpp");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string src = text.str();
  CHECK(src.find("cuda_parity_cases()") != std::string::npos);
  CHECK(src.find("op_cases()") == std::string::npos);   // the unfiltered list would reach CPU-only ops
}
