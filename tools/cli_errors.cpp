// How every command answers a mistake: one line that says what is wrong, one that says where the help is.
// Usage errors exit 2, other failures 1. An unknown option is matched against the command's own options
// (edit distance, and the names other tools use for the same thing) to suggest the one meant.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "tools/command.h"

namespace pluma::cli {
namespace {

// Option names users bring from other tools (nanoGPT, char-rnn, Marian) and from our own translator before
// it joined the shared trainer (--batch-size, --clip, --max-steps, --eval-every, --log-every, --emb,
// --enc-hidden, --enc-layers), mapped to ours. Suggested only when the command has the option.
struct synonym {
  const char* theirs;
  const char* ours;
};
constexpr synonym synonyms[] = {
    {"batch-size", "batch"},        {"batch_size", "batch"},       {"max-iters", "iters"},
    {"max_iters", "iters"},         {"max-steps", "iters"},        {"steps", "iters"},
    {"learning-rate", "lr"},        {"learning_rate", "lr"},       {"clip", "grad-clip"},
    {"grad-norm", "grad-clip"},     {"eval-every", "eval-interval"}, {"eval_interval", "eval-interval"},
    {"log-every", "log-interval"},  {"log_interval", "log-interval"}, {"n-layer", "layers"},
    {"n_layer", "layers"},          {"num-layers", "layers"},      {"n-head", "heads"},
    {"n_head", "heads"},            {"n-embd", "embd"},            {"n_embd", "embd"},
    {"block-size", "context"},      {"block_size", "context"},     {"seq-length", "seq-len"},
    {"rnn-size", "hidden"},         {"max-tokens", "max-new-tokens"},
    {"max_new_tokens", "max-new-tokens"}, {"n", "max-new-tokens"}, {"topk", "top-k"},
    {"top_k", "top-k"},             {"topp", "top-p"},             {"top_p", "top-p"},
    {"temp", "temperature"},        {"model-file", "checkpoint"},  {"ckpt", "checkpoint"},
    {"init-from", "resume"},        {"output", "out"},             {"o", "out"},
    {"beam-size", "beam"},          {"threads-num", "threads"},    {"vocab", "vocab-size"},
    {"emb", "embd"},                {"enc-hidden", "hidden"},      {"enc-layers", "layers"},
};

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      // Two neighbours swapped ("trian") count as one edit.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    before.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::vector<std::string> long_names(const cxxopts::Options& opts) {
  std::vector<std::string> names;
  for (const auto& group : opts.groups())
    for (const auto& o : opts.group_help(group).options)
      for (const auto& n : o.l) names.push_back(n);
  return names;
}

// The text between cxxopts' quotes in its message, e.g. "batch-size" in "Option 'batch-size' does not exist".
std::string quoted(const std::string& message) {
  for (const std::string& q : {std::string("\u2018"), std::string("'")}) {
    const size_t b = message.find(q);
    if (b == std::string::npos) continue;
    const std::string close = q == "'" ? "'" : "\u2019";
    const size_t e = message.find(close, b + q.size());
    if (e != std::string::npos) return message.substr(b + q.size(), e - b - q.size());
  }
  return "";
}

std::string dashed(const std::string& name) { return std::string(name.size() == 1 ? "-" : "--").append(name); }

// The option on the command line whose value is `value` ("--heads abc" or "--heads=abc").
std::string option_of_value(const std::string& value, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    if (a.rfind("-", 0) == 0 && eq != std::string::npos && a.substr(eq + 1) == value) return a.substr(0, eq);
    if (a == value && i > 1 && std::string(argv[i - 1]).rfind("-", 0) == 0) return argv[i - 1];
  }
  return "";
}

// cxxopts' messages, said in pluma's words.
std::string describe(const cxxopts::exceptions::exception& e, const cxxopts::Options& opts, int argc, char** argv) {
  const std::string what = e.what();
  const std::string name = quoted(what);
  if (dynamic_cast<const cxxopts::exceptions::no_such_option*>(&e)) {
    std::string msg = "unknown option '" + dashed(name) + "'";
    const std::string near = option_suggestion(name, long_names(opts));
    if (!near.empty()) msg += " (did you mean '--" + near + "'?)";
    return msg;
  }
  if (dynamic_cast<const cxxopts::exceptions::incorrect_argument_type*>(&e)) {
    const std::string opt = option_of_value(name, argc, argv);
    return (opt.empty() ? std::string("") : opt + ": ") + "'" + name + "' is not a valid value";
  }
  if (dynamic_cast<const cxxopts::exceptions::missing_argument*>(&e))
    return "'" + dashed(name) + "' needs a value";
  if (dynamic_cast<const cxxopts::exceptions::gratuitous_argument_for_option*>(&e))
    return "'" + dashed(name) + "' takes no value";
  if (dynamic_cast<const cxxopts::exceptions::option_requires_argument*>(&e))
    return "'" + dashed(name) + "' needs a value";
  return what;
}

}  // namespace

std::string option_suggestion(const std::string& unknown, const std::vector<std::string>& names) {
  std::string key = unknown;
  while (!key.empty() && key[0] == '-') key.erase(0, 1);
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  for (const auto& s : synonyms)
    if (key == s.theirs && has(s.ours)) return s.ours;
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& n : names) {
    size_t d = edit_distance(key, n);
    // A prefix of a longer name ("--max-new" for "--max-new-tokens") is as good as one typo.
    if (n.size() > key.size() && key.size() >= 3 && n.compare(0, key.size(), key) == 0) d = std::min<size_t>(d, 1);
    if (d < best_d) best_d = d, best = n;
  }
  const size_t allowed = std::max<size_t>(1, std::min(key.size(), best.size()) / 3);
  return best_d <= allowed ? best : "";
}

void add_help(cxxopts::Options& opts) { opts.add_options()("h,help", "Show this help"); }

cxxopts::ParseResult parse_or_exit(cxxopts::Options& opts, int argc, char** argv) {
  try {
    auto result = opts.parse(argc, argv);
    if (result.count("help")) {
      std::cout << opts.help() << std::endl;
      std::exit(0);
    }
    if (!result.unmatched().empty()) usage_error(opts, "unexpected argument '" + result.unmatched()[0] + "'");
    return result;
  } catch (const cxxopts::exceptions::exception& e) {
    usage_error(opts, describe(e, opts, argc, argv));
  }
}

void say_usage_error(const std::string& program, const std::string& message) {
  std::cerr << "pluma: " << message << "\nTry '" << program << " --help'." << std::endl;
}

void say_failure(const std::string& message) { std::cerr << "pluma: " << message << std::endl; }

[[noreturn]] void usage_error(const std::string& program, const std::string& message) {
  say_usage_error(program, message);
  std::exit(2);
}

[[noreturn]] void usage_error(const cxxopts::Options& opts, const std::string& message) {
  usage_error(opts.program(), message);
}

[[noreturn]] void fail(const std::string& message) {
  say_failure(message);
  std::exit(1);
}

}  // namespace pluma::cli
