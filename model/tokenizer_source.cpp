#include "model/tokenizer_source.h"

#include <fstream>
#include <string_view>

#include "model/checkpoint.h"
#include "model/model_io.h"

namespace pluma {
namespace {

// What the first bytes say: a tokenizer file starts with PLUMATOK, a checkpoint with an 8-byte header
// length and then its JSON header.
enum class file_kind { unreadable, tokenizer, checkpoint, other };

file_kind sniff(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return file_kind::unreadable;
  char head[9] = {};
  f.read(head, sizeof head);
  if (f.gcount() >= 8 && std::string_view(head, 8) == "PLUMATOK") return file_kind::tokenizer;
  if (f.gcount() == 9 && head[8] == '{') return file_kind::checkpoint;
  return file_kind::other;
}


}  // namespace

status tokenizer_side_parse(const std::string& name, tokenizer_side& out) {
  if (name == "source" || name == "src") out = tokenizer_side::source;
  else if (name == "target" || name == "tgt") out = tokenizer_side::target;
  else return status::error("'" + name + "' is not a side: say source or target");
  return status::ok();
}

status tokenizer_load_any(const std::string& path, std::unique_ptr<tokenizer>& out, tokenizer_side side) {
  const file_kind kind = sniff(path);
  if (kind == file_kind::unreadable) return tokenizer_load(path, out);   // its error says why it cannot be read
  if (kind == file_kind::tokenizer) {
    if (side == tokenizer_side::source)
      return status::error("'" + path + "' is a tokenizer file, not a translation checkpoint: it has no source side");
    return tokenizer_load(path, out);
  }
  if (kind == file_kind::other)
    return status::error("'" + path + "' is neither a pluma tokenizer nor a .pluma checkpoint (make a tokenizer "
                         "with: pluma tokenizer train)");
  checkpoint ck;
  PLUMA_TRY(checkpoint_read(path, ck, [](const std::string& name) { return name == "tokenizer" || name == "src_tokenizer"; }));
  const bool two = ck.find("src_tokenizer") != nullptr;
  if (!two) {
    if (side == tokenizer_side::source)
      return status::error("'" + path + "' is a language model with one tokenizer: it has no source side");
    return checkpoint_tokenizer(ck, "tokenizer", out).with_context(path);
  }
  if (side == tokenizer_side::any) {
    const checkpoint_tensor* s = ck.find("src_tokenizer");
    const checkpoint_tensor* t = ck.find("tokenizer");
    if (!t || s->bytes != t->bytes)
      return status::error("'" + path + "' is a translation model with two tokenizers: choose one with "
                           "--side source or --side target");
  }
  return checkpoint_tokenizer(ck, side == tokenizer_side::source ? "src_tokenizer" : "tokenizer", out).with_context(path);
}

}  // namespace pluma
