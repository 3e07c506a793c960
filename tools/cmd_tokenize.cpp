// pluma tokenize: text on stdin -> token ids (or pieces); with --decode, ids on stdin -> text.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "data/utf8_check.h"
#include "tokenizer/tokenizer.h"
#include "tools/cli_common.h"
#include "tools/command.h"

namespace {

struct tokenize_config {
  bool pieces = false;     // print pieces instead of ids
  bool decode = false;     // ids -> text
};

// A piece made readable on one line: space as "▁", newline/tab/return as \n \t \r, backslash as \\,
// other control bytes as \xNN.
std::string piece_escape(const std::string& piece) {
  std::string out;
  for (unsigned char c : piece) {
    switch (c) {
      case ' ': out += "\u2581"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string read_stdin() {
  std::ios::sync_with_stdio(false);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

int run_tokenize(int argc, char** argv) {
  cxxopts::Options opts(argv[0], "Encode text on stdin to token ids (one line, space-separated), or decode ids back");
  pluma::cli::add_tokenizer_options(opts);
  opts.add_options()
      ("pieces", "Print pieces instead of ids (space shown as \u2581; \\n \\t \\r \\\\ \\xNN escaped)")
      ("decode", "Read whitespace-separated ids on stdin and write the text");
  pluma::cli::add_help(opts);
  auto args = pluma::cli::parse_or_exit(opts, argc, argv);
  tokenize_config cfg;
  cfg.pieces = args.count("pieces") > 0;
  cfg.decode = args.count("decode") > 0;
  if (cfg.pieces && cfg.decode) pluma::cli::usage_error(opts, "--pieces and --decode do not go together");

  const std::unique_ptr<pluma::tokenizer> tok = pluma::cli::load_tokenizer_or_exit(opts, args);
  const std::string input = read_stdin();

  if (cfg.decode) {
    std::istringstream in(input);
    std::vector<int> ids;
    std::string word;
    while (in >> word) {
      size_t used = 0;
      long id = -1;
      try {
        id = std::stol(word, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != word.size()) pluma::cli::fail("'" + word + "' on stdin is not a token id");
      if (id < 0 || id >= tok->vocab_size())
        pluma::cli::fail("token id " + word + " is out of range (the tokenizer has " +
                         std::to_string(tok->vocab_size()) + " ids)");
      ids.push_back(static_cast<int>(id));
    }
    std::cout << tok->decode(ids) << std::flush;
    return 0;
  }

  if (const size_t bad = pluma::utf8_first_invalid_offset(input); bad != std::string::npos)
    pluma::cli::fail("stdin is not UTF-8: invalid byte at offset " + std::to_string(bad));
  const std::vector<int> ids = tok->encode(input);
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ' ';
    line += cfg.pieces ? piece_escape(tok->id_to_piece(ids[i])) : std::to_string(ids[i]);
  }
  std::cout << line << "\n" << std::flush;
  return 0;
}

}  // namespace

PLUMA_COMMAND("tokenize", "Text on stdin -> token ids or pieces (--pieces); ids -> text (--decode)", run_tokenize);
