// pluma generate: sample text from a checkpoint, streamed to stdout as it is produced (tools/cli_stream.h).
#include <chrono>
#include <cstdio>
#include <iostream>

#include "generate/decode_loop.h"
#include "model/ops/matmul.h"
#include "tools/cli_common.h"
#include "tools/cli_stream.h"
#include "tools/cli_sampler.h"

namespace pluma::cli {
namespace {

int run_generate(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Sample text from a trained model, streamed as it is produced.\n"
                                 "Without --prompt generation starts from <sos>. It ends at <eos>, a --stop string or\n"
                                 "--max-new-tokens. A GPT that outgrows its context slides its window: the cache is\n"
                                 "rebuilt from the last half-context of tokens.");
  add_model_options(opts);
  opts.add_options()
    ("prompt", "Text to continue (escapes \\n \\t understood)", cxxopts::value<std::string>()->default_value(""))
    ("max-new-tokens", "Tokens to generate per sample", cxxopts::value<int>()->default_value("500"))
    ("seed", "Random seed (default: from the clock, printed on stderr)", cxxopts::value<uint64_t>())
    ("num-samples", "How many samples", cxxopts::value<int>()->default_value("1"))
    ("stop", "Stop string (repeatable; escapes understood)", cxxopts::value<std::vector<std::string>>())
    ("ignore-eos", "Do not stop at <eos>: always --max-new-tokens tokens (or a --stop string)")
    ("precision", "fp32, or bf16: the model decodes with bfloat16 weights (half the bytes per token; fp32 sums), "
                  "and a GPT's prompt matmuls take bf16 operands", cxxopts::value<std::string>()->default_value("fp32"));
  add_sampler_options(opts);
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);

  generate_config cfg;
  cfg.max_new_tokens = r["max-new-tokens"].as<int>();
  cfg.stop_at_eos = !r.count("ignore-eos");
  sampler_options_read(r, cfg.sampling);
  int num_samples = r["num-samples"].as<int>();
  if (cfg.max_new_tokens < 1) usage_error(opts, "--max-new-tokens must be at least 1");
  const std::string precision = r["precision"].as<std::string>();
  if (precision != "fp32" && precision != "bf16") usage_error(opts, "--precision must be fp32 or bf16 (got '" + precision + "')");
  if (precision == "bf16") matmul_set_bf16(true);
  if (num_samples < 1) usage_error(opts, "--num-samples must be at least 1");
  if (status st = sampler_config_validate(cfg.sampling); !st) usage_error(opts, st.message());
  if (r.count("stop"))
    for (const auto& s : r["stop"].as<std::vector<std::string>>()) {
      if (s.empty()) usage_error(opts, "--stop must not be empty");
      cfg.stop.push_back(unescape(s));
    }
  uint64_t seed;
  if (r.count("seed")) {
    seed = r["seed"].as<uint64_t>();
  } else {
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) % 1000000007ULL;
  }

  std::unique_ptr<lm_model> model;
  std::unique_ptr<tokenizer> tok;
  load_model_or_exit(opts, r, model, tok);
  // Said once the command is sure to run, so that a mistake stays one line.
  if (!r.count("seed")) std::fprintf(stderr, "pluma: seed %llu\n", static_cast<unsigned long long>(seed));
  std::string prompt_text = unescape(r["prompt"].as<std::string>());
  std::vector<int> prompt = prompt_ids(*tok, r["prompt"].as<std::string>());

  text_stream out;
  for (int s = 0; s < num_samples; s++) {
    cfg.sampling.seed = seed + static_cast<uint64_t>(s);
    if (s > 0) out.write("\n---\n");
    out.write(prompt_text);
    out.flush();   // the prompt shows before its prefill
    std::vector<int> ids;
    std::string text;
    generate_tokens(*model, *tok, prompt, cfg, [&](const std::string& piece) { out.write(piece); }, ids, text);
    out.flush();
  }
  out.write("\n");
  out.flush();
  if (!out.ok()) fail("could not write the generated text to stdout");
  return 0;
}

}  // namespace
PLUMA_COMMAND("generate", "Sample text from a trained model", run_generate);
}  // namespace pluma::cli
