#include "tools/cli_common.h"

#include "model/core/cuda_module.h"
#include "model/core/device_arena.h"
#include "model/core/threads.h"
#include "model/model_io.h"
#include "model/tokenizer_source.h"

namespace pluma::cli {

void add_model_options(cxxopts::Options& opts) {
  opts.add_options()
    ("checkpoint", "Model checkpoint (.pluma)", cxxopts::value<std::string>())
    ("threads", "CPU threads (default: all cores)", cxxopts::value<int>()->default_value("0"))
    ("device", "cpu or cuda", cxxopts::value<std::string>()->default_value("cpu"));
}

void apply_threads(const cxxopts::Options& opts, int n) {
  if (n < 0 || n > 1024) usage_error(opts, "--threads must be between 1 and 1024 (got " + std::to_string(n) + ")");
  if (n > 0) threads_set(n);
}

void load_model_or_exit(const cxxopts::Options& opts, const cxxopts::ParseResult& r,
                        std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok) {
  apply_threads(opts, r["threads"].as<int>());
  std::string dev = r["device"].as<std::string>();
  std::string why;
  if (dev == "cuda") {
    if (const status ld = cuda_backend_load(); !ld) fail("--device cuda: " + ld.message());
    if (!cuda_available(why)) fail("--device cuda: no CUDA device: " + why);
  } else if (dev != "cpu") {
    usage_error(opts, "--device must be cpu or cuda (got '" + dev + "')");
  }
  if (!r.count("checkpoint")) usage_error(opts, "--checkpoint FILE is required");
  status st = model_load(r["checkpoint"].as<std::string>(), m, tok);
  if (!st) fail(st.message());
  m->share_decoding_weights(true);   // these commands never change the model: its samples share one packed copy
  if (dev == "cuda") {
    st = m->set_device(exec_context{device::cuda, nullptr});   // a model that runs on the CPU only says so
    if (!st) fail("--device cuda: " + st.message());
  }
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      if (c == 'n') out += '\n';
      else if (c == 't') out += '\t';
      else if (c == '\\') out += '\\';
      else { out += '\\'; out += c; }
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<int> prompt_ids(const tokenizer& tok, const std::string& prompt_escaped) {
  std::string p = unescape(prompt_escaped);
  if (p.empty()) return {sos_id};
  return tok.encode(p);
}

void add_tokenizer_options(cxxopts::Options& opts) {
  opts.add_options()
      ("tokenizer", "A tokenizer file (pluma tokenizer train) or a .pluma checkpoint", cxxopts::value<std::string>())
      ("side", "Of a translation model with two tokenizers: source | target", cxxopts::value<std::string>());
}

std::unique_ptr<tokenizer> load_tokenizer_or_exit(const cxxopts::Options& opts, const cxxopts::ParseResult& r) {
  if (!r.count("tokenizer")) usage_error(opts, "missing --tokenizer FILE (a tokenizer file or a .pluma checkpoint)");
  tokenizer_side side = tokenizer_side::any;
  if (r.count("side"))
    if (status st = tokenizer_side_parse(r["side"].as<std::string>(), side); !st) usage_error(opts, "--side: " + st.message());
  std::unique_ptr<tokenizer> tok;
  if (status st = tokenizer_load_any(r["tokenizer"].as<std::string>(), tok, side); !st) fail(st.message());
  return tok;
}

}  // namespace pluma::cli
