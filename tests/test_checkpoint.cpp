// The .pluma checkpoint file: round trip, safetensors layout, and validation of truncated or corrupt files.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/core/rng.h"

using namespace pluma;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "pluma_test_checkpoint";
  fs::create_directories(dir);
  return (dir / name).string();
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

void spill(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A file with the given header text followed by `data_bytes` zero bytes.
void spill_raw(const std::string& path, const std::string& header, size_t data_bytes) {
  std::vector<uint8_t> b(8);
  uint64_t n = header.size();
  std::memcpy(b.data(), &n, 8);
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data_bytes, 0);
  spill(path, b);
}

std::string read_error(const std::string& path) {
  checkpoint ck;
  status st = checkpoint_read(path, ck);
  REQUIRE(!st.is_ok());
  return st.message();
}

checkpoint sample_checkpoint() {
  checkpoint ck;
  ck.metadata["format"] = "pluma-1";
  ck.metadata["config"] = R"({"kind": "gpt", "layers": 2})";
  std::vector<float> w(2 * 3);
  for (size_t i = 0; i < w.size(); i++) w[i] = 0.5f * static_cast<float>(i) - 1.0f;
  ck.add_f32("wte.weight", {2, 3}, w.data());
  float s = 3.25f;
  ck.add_f32("scalar", {}, &s);
  ck.add_u8("tokenizer", std::string("ab\0c", 4));
  checkpoint_tensor ids;
  ids.name = "ids";
  ids.dtype = tensor_dtype::i64;
  ids.shape = {3};
  int64_t v[3] = {-1, 7, 1LL << 40};
  ids.bytes.assign(reinterpret_cast<uint8_t*>(v), reinterpret_cast<uint8_t*>(v) + sizeof v);
  ck.tensors.push_back(ids);
  ck.add_f32("empty", {0, 4}, nullptr);
  return ck;
}

}  // namespace

TEST_CASE("checkpoint round trip keeps metadata, tensor order, dtypes, shapes and bytes") {
  std::string path = temp_path("round.pluma");
  checkpoint a = sample_checkpoint();
  REQUIRE(checkpoint_write(path, a).is_ok());
  CHECK(!fs::exists(path + ".tmp"));
  checkpoint b;
  status st = checkpoint_read(path, b);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  CHECK(b.metadata == a.metadata);
  REQUIRE(b.tensors.size() == a.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); i++) {
    CHECK(b.tensors[i].name == a.tensors[i].name);
    CHECK(b.tensors[i].dtype == a.tensors[i].dtype);
    CHECK(b.tensors[i].shape == a.tensors[i].shape);
    CHECK(b.tensors[i].bytes == a.tensors[i].bytes);
  }
  const checkpoint_tensor* w = b.find("wte.weight");
  REQUIRE(w != nullptr);
  CHECK(w->f32()[5] == 1.5f);
  CHECK(b.find("nope") == nullptr);

  // Writing again replaces the file atomically and leaves no temporary behind.
  a.metadata["format"] = "pluma-1b";
  REQUIRE(checkpoint_write(path, a).is_ok());
  REQUIRE(checkpoint_read(path, b).is_ok());
  CHECK(b.metadata["format"] == "pluma-1b");
  CHECK(!fs::exists(path + ".tmp"));
}

TEST_CASE("checkpoint file is in the safetensors layout") {
  std::string path = temp_path("layout.pluma");
  REQUIRE(checkpoint_write(path, sample_checkpoint()).is_ok());
  std::vector<uint8_t> f = slurp(path);
  uint64_t n = 0;
  std::memcpy(&n, f.data(), 8);
  CHECK(n % 8 == 0);
  auto h = nlohmann::json::parse(f.begin() + 8, f.begin() + 8 + static_cast<long>(n));
  CHECK(h["__metadata__"]["format"] == "pluma-1");
  CHECK(h["wte.weight"]["dtype"] == "F32");
  CHECK(h["wte.weight"]["shape"] == nlohmann::json({2, 3}));
  CHECK(h["wte.weight"]["data_offsets"] == nlohmann::json({0, 24}));
  CHECK(h["scalar"]["data_offsets"] == nlohmann::json({24, 28}));
  CHECK(h["tokenizer"]["dtype"] == "U8");
  CHECK(h["ids"]["dtype"] == "I64");
  CHECK(h["ids"]["data_offsets"] == nlohmann::json({32, 56}));
  CHECK(f.size() == 8 + n + 56);   // tensors are contiguous, nothing trails
  float x = 0;
  std::memcpy(&x, f.data() + 8 + n + 24, 4);
  CHECK(x == 3.25f);
}

TEST_CASE("checkpoint write refuses inconsistent tensors and unwritable paths") {
  checkpoint ck;
  ck.add_f32("a", {2}, std::vector<float>{1, 2}.data());
  ck.tensors[0].shape = {3};
  status st = checkpoint_write(temp_path("bad.pluma"), ck);
  REQUIRE(!st.is_ok());
  CHECK(st.message().find("tensor 'a' holds 8 bytes, its shape needs 12") != std::string::npos);

  checkpoint dup;
  dup.add_u8("x", "1");
  dup.add_u8("x", "2");
  st = checkpoint_write(temp_path("dup.pluma"), dup);
  REQUIRE(!st.is_ok());
  CHECK(st.message().find("tensor 'x' appears twice") != std::string::npos);

  st = checkpoint_write("/nonexistent-dir/x.pluma", sample_checkpoint());
  REQUIRE(!st.is_ok());
  CHECK(st.message().find("cannot create checkpoint /nonexistent-dir/x.pluma.tmp") != std::string::npos);
}

TEST_CASE("checkpoint read reports missing, short and truncated files") {
  CHECK(read_error(temp_path("does-not-exist.pluma")).find("cannot open checkpoint") != std::string::npos);

  std::string path = temp_path("short.pluma");
  spill(path, {1, 2, 3});
  CHECK(read_error(path) == "checkpoint " + path +
                                " is too short (3 bytes): a .pluma file starts with an 8-byte header length");

  REQUIRE(checkpoint_write(path, sample_checkpoint()).is_ok());
  std::vector<uint8_t> f = slurp(path);
  uint64_t n = 0;
  std::memcpy(&n, f.data(), 8);
  f.resize(f.size() - 10);
  spill(path, f);
  CHECK(read_error(path) == "checkpoint " + path + " is truncated: header says 56 bytes of tensors, file has 46");

  f.resize(8 + n / 2);
  spill(path, f);
  CHECK(read_error(path) == "checkpoint " + path + " is truncated: header says " + std::to_string(n) +
                                " bytes of header, file has " + std::to_string(n / 2) + " after the length");

  std::vector<uint8_t> huge(16, 0xff);
  spill(path, huge);
  CHECK(read_error(path).find("header length 18446744073709551615 is implausible") != std::string::npos);
}

TEST_CASE("checkpoint read can leave out tensors by name, still checking the whole file") {
  std::string path = temp_path("wanted.pluma");
  checkpoint a = sample_checkpoint();
  std::vector<float> m(4, 2.0f);
  a.add_f32(std::string(checkpoint_optimizer_prefix) + "m.wte.weight", {2, 2}, m.data());
  a.add_f32(std::string(checkpoint_training_prefix) + "state.h", {2, 2}, m.data());
  REQUIRE(checkpoint_write(path, a).is_ok());
  checkpoint b;
  REQUIRE(checkpoint_read(path, b, checkpoint_for_use).is_ok());
  CHECK(b.tensors.size() == a.tensors.size() - 2);
  CHECK(b.find("wte.weight") != nullptr);
  CHECK(b.find("tokenizer") != nullptr);
  CHECK(b.find("optimizer.m.wte.weight") == nullptr);
  CHECK(b.find("training.state.h") == nullptr);
  CHECK(b.metadata == a.metadata);
  // a file cut inside a tensor that is not read is still reported as truncated
  std::vector<uint8_t> f = slurp(path);
  f.resize(f.size() - 4);
  spill(path, f);
  checkpoint c;
  const status st = checkpoint_read(path, c, checkpoint_for_use);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.message().find("is truncated") != std::string::npos);
}

TEST_CASE("checkpoint read reports corrupt headers with the tensor at fault") {
  std::string path = temp_path("corrupt.pluma");
  auto err = [&](const std::string& header, size_t data) {
    spill_raw(path, header, data);
    return read_error(path);
  };
  const std::string pre = "checkpoint " + path + " is corrupt: ";
  CHECK(err("{\"a\": [1,", 0) == pre + "its header is not a JSON object");
  CHECK(err("[1, 2]", 0) == pre + "its header is not a JSON object");
  CHECK(err(R"({"a": {"shape": [1], "data_offsets": [0, 4]}})", 4) == pre + "tensor 'a' has no dtype");
  CHECK(err(R"({"a": {"dtype": "F32", "data_offsets": [0, 4]}})", 4) == pre + "tensor 'a' has no shape");
  CHECK(err(R"({"a": {"dtype": "F32", "shape": [1]}})", 4) == pre + "tensor 'a' has no data_offsets");
  CHECK(err(R"({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}})", 2) ==
        pre + "tensor 'a' has dtype \"BF16\", which pluma does not read (F32, U8, I64)");
  CHECK(err(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4) ==
        pre + "tensor 'a' has a shape entry -1 that is not a non-negative integer");
  CHECK(err(R"({"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})", 24) ==
        pre + "tensor 'a' has shape [2,3] of F32 (24 bytes) but data_offsets span 20 bytes");
  CHECK(err(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8) ==
        pre + "tensor 'a' has data_offsets [8, 4] that end before they begin");
  CHECK(err(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 8) ==
        pre + "tensor 'a' has data_offsets [0]; expected [begin, end] byte offsets");
  CHECK(err(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})", 4) ==
        pre + "tensor 'a' has a shape [4294967296,4294967296] too large to exist");
  CHECK(err(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
            R"( "b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})",
            8) == pre + "tensors 'a' and 'b' overlap");
  CHECK(err(R"({"__metadata__": {"format": 1}})", 0) == pre + "__metadata__ entry 'format' is not a string");
  CHECK(err(R"({"__metadata__": "x"})", 0) == pre + "__metadata__ is not a JSON object");
  CHECK(err(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})", 3) ==
        "checkpoint " + path + " is truncated: header says 4 bytes of tensors, file has 3");
}

TEST_CASE("checkpoint read never crashes on random corruption or truncation") {
  std::string good = temp_path("fuzz-good.pluma");
  std::string path = temp_path("fuzz.pluma");
  REQUIRE(checkpoint_write(good, sample_checkpoint()).is_ok());
  const std::vector<uint8_t> f = slurp(good);
  rng gen(123);
  int ok = 0, failed = 0;
  for (int i = 0; i < 400; i++) {
    std::vector<uint8_t> g = f;
    if (i % 4 == 3) {
      g.resize(gen.below(f.size()));
    } else {
      g[gen.below(g.size())] = static_cast<uint8_t>(gen.below(256));
    }
    spill(path, g);
    checkpoint ck;
    status st = checkpoint_read(path, ck);
    if (st.is_ok()) {
      ok++;
      // Whatever was accepted is self-consistent.
      for (const auto& t : ck.tensors) {
        size_t n = t.dtype == tensor_dtype::f32 ? 4 : t.dtype == tensor_dtype::i64 ? 8 : 1;
        for (auto d : t.shape) n *= static_cast<size_t>(d);
        CHECK(n == t.bytes.size());
      }
    } else {
      failed++;
      CHECK(st.message().find("checkpoint " + path) == 0);
    }
  }
  CHECK(ok > 0);       // corrupting tensor bytes is invisible to the format
  CHECK(failed > 0);   // corrupting the header or truncating is caught
}
