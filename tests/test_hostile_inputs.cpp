// Hostile sizes: files that claim more than they hold, or a model far larger than their bytes, are refused
// with a message before anything that large is allocated.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/shard.h"
#include "model/checkpoint.h"
#include "model/model.h"
#include "model/trainable.h"
#include "model/model_io.h"

using namespace pluma;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "pluma_test_hostile";
  fs::create_directories(dir);
  return (dir / name).string();
}

void write_checkpoint_file(const std::string& path, const std::string& header, size_t data_bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  const uint64_t n = header.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f << header;
  f << std::string(data_bytes, '\0');
}

// A char tokenizer of 5 ids: the 4 specials and "a".
const tokenizer& five_piece_tokenizer() {
  static std::unique_ptr<tokenizer> tok = [] {
    const std::string path = temp_path("a.txt");
    std::ofstream(path) << "aaaa";
    tokenizer_train_config cfg;
    cfg.inputs = {path};
    std::unique_ptr<tokenizer> t;
    REQUIRE(tokenizer_train(cfg, t).is_ok());
    REQUIRE(t->vocab_size() == 5);
    return t;
  }();
  return *tok;
}

}  // namespace

TEST_CASE("a checkpoint header that claims a 2^60-byte tensor is refused") {
  const std::string path = temp_path("huge_tensor.pluma");
  write_checkpoint_file(path,
                        R"({"w": {"dtype": "F32", "shape": [288230376151711744], )"
                        R"("data_offsets": [0, 1152921504606846976]}})",
                        16);
  checkpoint ck;
  const status st = checkpoint_read(path, ck);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.message().find("truncated") != std::string::npos);
}

TEST_CASE("a shape whose element count overflows is refused") {
  const std::string path = temp_path("overflow.pluma");
  write_checkpoint_file(path,
                        R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 8], "data_offsets": [0, 0]}})", 0);
  checkpoint ck;
  CHECK_FALSE(checkpoint_read(path, ck).is_ok());
}

TEST_CASE("a model config far larger than the checkpoint's tensors is refused before allocating") {
  // Configs that pass validation but describe ~10^12 parameters; the file holds only the first tensor
  // (a few hundred KB), so loading must fail on the missing ones before allocating the whole model.
  for (const char* config : {R"({"kind": "gpt", "vocab_size": 5, "context": 32768, "layers": 1000, "heads": 128,)"
                             R"( "embd": 16384, "bias": true, "dropout": 0})",
                             R"({"kind": "lstm", "vocab_size": 5, "layers": 1000, "hidden": 20000,)"
                             R"( "embd": 20000, "dropout": 0})",
                             R"({"kind": "seq2seq", "src_vocab_size": 5, "vocab_size": 5, "emb": 10000,)"
                             R"( "enc_hidden": 10000, "enc_layers": 1000, "dec_hidden": 10000, "dropout": 0,)"
                             R"( "space_prefix": false})"}) {
    CAPTURE(config);
    std::unique_ptr<trainable> probe;
    REQUIRE(trainable_create(nlohmann::json::parse(config), probe).is_ok());
    const tensor_spec& first = probe->param_specs().front();
    std::vector<float> w(first.numel(), 0.5f);
    checkpoint ck;
    ck.metadata["format"] = "pluma-1";
    ck.metadata["config"] = config;
    ck.add_f32(first.name, first.shape, w.data());
    ck.add_u8("tokenizer", five_piece_tokenizer().serialize());
    ck.add_u8("src_tokenizer", five_piece_tokenizer().serialize());
    std::unique_ptr<trainable> m;
    std::unique_ptr<tokenizer> tok, src;
    const status st = checkpoint_load_trainable(ck, m, tok, src);
    REQUIRE_FALSE(st.is_ok());
    CHECK(st.message().find("lacks") != std::string::npos);
  }
}

TEST_CASE("model configs whose sizes overflow the kernels' 32-bit indexing are refused") {
  for (const char* config : {R"({"kind": "gpt", "vocab_size": 5, "context": 8, "layers": 2000000000, "heads": 1,)"
                             R"( "embd": 8, "bias": true, "dropout": 0})",
                             R"({"kind": "lstm", "vocab_size": 5, "layers": 2000000000, "hidden": 8,)"
                             R"( "embd": 8, "dropout": 0})",
                             R"({"kind": "seq2seq", "src_vocab_size": 5, "vocab_size": 5, "emb": 8,)"
                             R"( "enc_hidden": 8, "enc_layers": 2000000000, "dec_hidden": 8,)"
                             R"( "dropout": 0, "space_prefix": false})",R"({"kind": "seq2seq", "src_vocab_size": 5, "vocab_size": 5, "emb": 1000000000,)"
                             R"( "enc_hidden": 1000000000, "enc_layers": 1, "dec_hidden": 1000000000,)"
                             R"( "dropout": 0, "space_prefix": false})",
                             R"({"kind": "lstm", "vocab_size": 5, "layers": 1, "hidden": 1000000000,)"
                             R"( "embd": 10, "dropout": 0})"}) {
    CAPTURE(config);
    std::unique_ptr<trainable> m;
    const status st = trainable_create(nlohmann::json::parse(config), m);
    REQUIRE_FALSE(st.is_ok());
    CHECK((st.message().find("too large") != std::string::npos ||
           st.message().find("deepest") != std::string::npos));
  }
}

TEST_CASE("a shard that claims more tokens than its file holds is refused") {
  const std::string path = temp_path("short.bin");
  REQUIRE(shard_write(path, {1, 2, 3, 4}, 7, 10).is_ok());
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  const uint64_t claimed = 1ull << 40;
  f.seekp(32);
  f.write(reinterpret_cast<const char*>(&claimed), 8);
  f.close();
  shard s;
  const status st = shard::open(path, s);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.message().find("short.bin") != std::string::npos);
}
