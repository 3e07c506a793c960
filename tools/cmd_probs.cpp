// pluma probs: the next-token probability table (or tree) after a prompt.
#include <cstdio>
#include <iostream>

#include "generate/inspect.h"
#include "generate/inspect_json.h"
#include "tools/cli_common.h"

namespace pluma::cli {
namespace {

// Pads to `width` terminal columns (one per code point; printf's widths count bytes).
std::string pad(const std::string& s, size_t width) {
  size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  return cols >= width ? s + " " : s + std::string(width - cols, ' ');
}

void print_tree(const tokenizer& tok, const std::vector<prob_node>& nodes, int indent) {
  for (const auto& n : nodes) {
    std::string piece = piece_display(tok.id_to_piece(n.id));
    std::printf("%*s%s%s%.4f\n", indent, "", indent ? "→ " : "", pad(piece, 12).c_str(), n.prob);
    print_tree(tok, n.children, indent + 4);
  }
}

int run_probs(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Show the model's most probable next tokens after a prompt (a tree with --depth).");
  add_model_options(opts);
  opts.add_options()
    ("prompt", "Text before the next token (escapes \\n \\t understood; empty: <sos>)", cxxopts::value<std::string>()->default_value(""))
    ("top", "Tokens per level", cxxopts::value<int>()->default_value("5"))
    ("depth", "Levels of the tree (1 = the table)", cxxopts::value<int>()->default_value("1"))
    ("temperature", "Softmax temperature", cxxopts::value<float>()->default_value("1.0"))
    ("json", "Print JSON");
  add_help(opts);
  auto r = parse_or_exit(opts, argc, argv);
  int top = r["top"].as<int>(), depth = r["depth"].as<int>();
  float temperature = r["temperature"].as<float>();
  if (top < 1) usage_error(opts, "--top must be at least 1");
  if (depth < 1 || depth > 6) usage_error(opts, "--depth must be between 1 and 6");
  if (!(temperature >= 0)) usage_error(opts, "--temperature must be >= 0");

  std::unique_ptr<lm_model> model;
  std::unique_ptr<tokenizer> tok;
  load_model_or_exit(opts, r, model, tok);
  std::string prompt_text = unescape(r["prompt"].as<std::string>());
  auto tree = next_token_tree(*model, prompt_ids(*tok, r["prompt"].as<std::string>()), top, depth, temperature);
  if (r.count("json")) {
    std::cout << probs_json(*tok, prompt_text, tree).dump(2) << std::endl;
  } else {
    std::printf("%s%s\n", pad("token", 12).c_str(), "prob");
    print_tree(*tok, tree, 0);
  }
  return 0;
}

}  // namespace
PLUMA_COMMAND("probs", "Next-token probability table or tree after a prompt", run_probs);
}  // namespace pluma::cli
