// Where a tokenizer comes from: a tokenizer file (pluma tokenizer train) or a .pluma checkpoint, which
// carries its tokenizer (a translation model carries two: the source's and the target's). Every
// `--tokenizer` option takes either.
#pragma once
#include <memory>
#include <string>

#include "model/core/status.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

// any: a checkpoint's only tokenizer, or both sides of a translation model when they are the same;
// a translation model with two different tokenizers then asks for a side.
enum class tokenizer_side { any, source, target };
status tokenizer_side_parse(const std::string& name, tokenizer_side& out);   // "source" | "target"

status tokenizer_load_any(const std::string& path, std::unique_ptr<tokenizer>& out,
                          tokenizer_side side = tokenizer_side::any);

}  // namespace pluma
