// seq2seq_io: a translation model and its two tokenizers inside one .pluma checkpoint, through the one
// checkpoint reader and writer (model/model_io.h: config "kind" "seq2seq", tokenizers "tokenizer" (target) and
// "src_tokenizer" (source)); and the text <-> ids of a sentence as the translator sees them.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/checkpoint.h"
#include "model/rnn/seq2seq.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

void seq2seq_checkpoint_add(checkpoint& ck, seq2seq_model& m, const tokenizer& src_tok,
                            const tokenizer& tgt_tok);
// Rebuilds the model and both tokenizers, checking every parameter's presence and shape and that each
// tokenizer's vocabulary matches the model's. A checkpoint of another model kind is refused by name.
status seq2seq_checkpoint_load(const checkpoint& ck, std::unique_ptr<seq2seq_model>& m,
                               std::unique_ptr<tokenizer>& src_tok, std::unique_ptr<tokenizer>& tgt_tok);
// checkpoint_read + seq2seq_checkpoint_load, with the path in any error message.
status seq2seq_load(const std::string& path, std::unique_ptr<seq2seq_model>& m, std::unique_ptr<tokenizer>& src_tok,
                    std::unique_ptr<tokenizer>& tgt_tok);
// Writes the model, the tokenizers and `training` (when not null) to path (atomically, as checkpoint_write).
status seq2seq_save(const std::string& path, seq2seq_model& m, const tokenizer& src_tok,
                    const tokenizer& tgt_tok, const nlohmann::json& training = nullptr);

// A sentence's ids as the model was trained on them (seq2seq_config::space_prefix), and the text of ids.
std::vector<int> seq2seq_encode(const tokenizer& tok, std::string_view text, bool space_prefix);
std::string seq2seq_decode(const tokenizer& tok, const std::vector<int>& ids, bool space_prefix);

}  // namespace pluma
