// pluma translate: one line of stdin in, its translation out (flushed at once); a blank line stays blank.
// Lines that are already waiting (up to max_waiting_lines) are translated together, sorted by length into
// batches of --batch sentences, so a file on stdin goes fast and a typed line is answered at once.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "data/utf8_check.h"
#include "generate/attention_map.h"
#include "generate/beam_search.h"
#include "generate/sampler.h"
#include "model/core/threads.h"
#include "model/rnn/seq2seq_io.h"
#include "tools/cli_sampler.h"
#include "tools/command.h"

namespace {

using namespace pluma;

// Lines read ahead at most before translating (when they are waiting on stdin).
constexpr size_t max_waiting_lines = 1024;

struct translate_config {
  std::string checkpoint;
  decode_config decode;
  int batch = 0;               // sentences decoded together; 0: 32 for a beam, 128 for greedy or sampling
  bool sample = false;
  sampler_config sampling;
  std::string attention;       // .html or .svg path, or empty
  bool print_scores = false;   // "translation<TAB>score"
};

// Reads stdin by lines: next_batch returns the lines that are complete now (at least one, waiting for it),
// up to max; an unterminated last line counts at end of input.
class line_reader {
 public:
  // Returns false at the end of input (no line left).
  bool next_batch(size_t max, std::vector<std::string>& lines) {
    lines.clear();
    while (lines.size() < max) {
      size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        lines.push_back(buf_.substr(pos_, nl - pos_));
        pos_ = nl + 1;
        continue;
      }
      if (eof_) {
        if (pos_ < buf_.size()) lines.push_back(buf_.substr(pos_));
        pos_ = buf_.size();
        break;
      }
      if (!lines.empty() && !readable_now()) break;   // answer what we have rather than wait
      if (!fill()) eof_ = true;
    }
    for (auto& l : lines)
      if (!l.empty() && l.back() == '\r') l.pop_back();
    return !lines.empty();
  }

 private:
  static bool readable_now() {
    pollfd p{0, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  bool fill() {   // false at end of input
    buf_.erase(0, pos_);
    pos_ = 0;
    char tmp[65536];
    for (;;) {
      const ssize_t n = ::read(0, tmp, sizeof tmp);
      if (n > 0) {
        buf_.append(tmp, size_t(n));
        return true;
      }
      if (n == 0) return false;
      if (errno != EINTR) cli::fail(std::string("reading stdin: ") + std::strerror(errno));
    }
  }
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

std::vector<std::string> pieces(const tokenizer& tok, const std::vector<int>& ids) {
  std::vector<std::string> out;
  for (int id : ids) out.push_back(tok.id_to_piece(id));
  return out;
}

int run_translate(int argc, char** argv) {
  cxxopts::Options opts("pluma translate",
                        "Translate stdin line by line with a seq2seq checkpoint (pluma train --model seq2seq). "
                        "--n-best N > 1 prints N lines per input: 'INDEX ||| translation ||| score'.");
  translate_config d;
  // clang-format off
  opts.add_options()
      ("checkpoint", "Translation model (.pluma)", cxxopts::value<std::string>())
      ("beam", "Beam size; 1 is greedy", cxxopts::value<int>()->default_value(std::to_string(d.decode.beam)))
      ("n-best", "Hypotheses printed per input", cxxopts::value<int>()->default_value("1"))
      ("alpha", "Length normalization: score = logprob / length^alpha", cxxopts::value<float>()->default_value("0.6"))
      ("max-len-ratio", "Longest translation: ratio x source tokens + --max-len-extra", cxxopts::value<float>()->default_value("2"))
      ("max-len-extra", "Tokens added to the length limit", cxxopts::value<int>()->default_value("10"))
      ("batch", "Sentences decoded together (0: 32 with a beam, 128 otherwise)", cxxopts::value<int>()->default_value("0"))
      ("scores", "Print 'translation<TAB>score' (score = logprob / length^alpha)")
      ("attention", "Also write every sentence's attention as a heat map (.html or .svg)", cxxopts::value<std::string>())
      ("sample", "Sample each token with the sampler chain instead of searching")
      ("seed", "Sampling seed", cxxopts::value<uint64_t>()->default_value("0"))
      ("threads", "OpenMP threads (0: the default)", cxxopts::value<int>()->default_value("0"));
  // clang-format on
  cli::add_sampler_options(opts);
  cli::add_help(opts);
  auto a = cli::parse_or_exit(opts, argc, argv);
  if (!a.count("checkpoint")) cli::usage_error(opts, "missing --checkpoint FILE (a model from pluma train --model seq2seq)");
  translate_config cfg;
  cfg.checkpoint = a["checkpoint"].as<std::string>();
  cfg.decode.beam = a["beam"].as<int>();
  cfg.decode.n_best = a["n-best"].as<int>();
  cfg.decode.length_alpha = a["alpha"].as<float>();
  cfg.decode.max_len_ratio = a["max-len-ratio"].as<float>();
  cfg.decode.max_len_extra = a["max-len-extra"].as<int>();
  cfg.batch = a["batch"].as<int>();
  cfg.print_scores = a.count("scores") > 0;
  cfg.sample = a.count("sample") > 0;
  cli::sampler_options_read(a, cfg.sampling);
  cfg.sampling.seed = a["seed"].as<uint64_t>();
  if (a.count("attention")) cfg.attention = a["attention"].as<std::string>();
  cfg.decode.keep_attention = !cfg.attention.empty();
  if (cfg.sample) {
    if (a.count("beam") && cfg.decode.beam != 1) cli::usage_error(opts, "--sample draws one translation: leave out --beam");
    if (cfg.decode.n_best != 1) cli::usage_error(opts, "--sample draws one translation: leave out --n-best");
    cfg.decode.beam = 1;
  }
  status st = decode_config_validate(cfg.decode);
  if (!st) cli::usage_error(opts, st.message());
  if (cfg.batch < 0) cli::usage_error(opts, "--batch must be >= 0");
  if (cfg.batch == 0) cfg.batch = cfg.decode.beam > 1 ? 32 : 128;
  if (cfg.sample && !(st = sampler_config_validate(cfg.sampling))) cli::usage_error(opts, st.message());
  if (!cfg.attention.empty() && !(st = attention_maps_write(cfg.attention, {})))   // checks the extension, writes empty
    cli::usage_error(opts, st.message());

  if (a["threads"].as<int>() < 0) cli::usage_error(opts, "--threads must be >= 0");
  if (a["threads"].as<int>() > 0) threads_set(a["threads"].as<int>());

  std::unique_ptr<seq2seq_model> model;
  std::unique_ptr<tokenizer> src_tok, tgt_tok;
  if (!(st = seq2seq_load(cfg.checkpoint, model, src_tok, tgt_tok))) cli::fail(st.message());
  std::unique_ptr<sampler> smp;
  if (cfg.sample) smp = std::make_unique<sampler>(cfg.sampling);

  line_reader reader;
  std::vector<std::string> lines;
  std::vector<attention_map> maps;
  size_t line_no = 0;
  while (reader.next_batch(max_waiting_lines, lines)) {
    std::vector<std::vector<int>> srcs;
    for (const auto& l : lines) {
      line_no++;
      if (utf8_first_invalid_offset(l) != std::string_view::npos)
        cli::fail("input line " + std::to_string(line_no) + " is not valid UTF-8; convert the input (e.g. iconv)");
      srcs.push_back(seq2seq_encode(*src_tok, l, model->config().space_prefix));
    }
    std::vector<std::vector<translation>> out;
    translate_corpus(*model, srcs, cfg.decode, cfg.batch, smp.get(), out);
    const size_t first = line_no - lines.size();
    for (size_t i = 0; i < lines.size(); i++) {
      if (srcs[i].empty()) {   // a blank line stays blank
        for (int k = 0; k < cfg.decode.n_best; k++) {
          if (cfg.decode.n_best > 1) std::printf("%zu |||  ||| 0.0000\n", first + i);
          else std::printf(cfg.print_scores ? "\t0.0000\n" : "\n");
        }
        continue;
      }
      const std::vector<translation>& hyps = out[i];
      for (const translation& t : hyps) {
        const std::string text = seq2seq_decode(*tgt_tok, t.tokens, model->config().space_prefix);
        if (cfg.decode.n_best > 1) std::printf("%zu ||| %s ||| %.4f\n", first + i, text.c_str(), t.score);
        else if (cfg.print_scores) std::printf("%s\t%.4f\n", text.c_str(), t.score);
        else std::printf("%s\n", text.c_str());
      }
      if (!cfg.attention.empty()) {
        const translation& t = hyps[0];
        attention_map m;
        m.source = lines[i];
        m.translation = seq2seq_decode(*tgt_tok, t.tokens, model->config().space_prefix);
        m.src_tokens = pieces(*src_tok, srcs[i]);
        m.tgt_tokens = pieces(*tgt_tok, t.tokens);
        if (t.finished) m.tgt_tokens.push_back(tgt_tok->id_to_piece(eos_id));
        m.weights = t.attention;
        maps.push_back(std::move(m));
      }
    }
    std::fflush(stdout);
  }
  if (!cfg.attention.empty() && !(st = attention_maps_write(cfg.attention, maps))) cli::fail(st.message());
  return 0;
}

}  // namespace

PLUMA_COMMAND("translate", "Translate stdin line by line with a seq2seq checkpoint (beam, greedy, sampling)",
              run_translate);
