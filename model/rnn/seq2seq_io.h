// seq2seq_io: a translation model and its two tokenizers inside one .pluma checkpoint.
//   metadata "format": "pluma-1"; "config": seq2seq_config_to_json (its "model" is "seq2seq");
//            "tokenizer", "src_tokenizer": {"kind", "vocab_size", "hash"} of the target and source tokenizers;
//            "training": the trainer's JSON (optional)
//   tensors: every parameter under its name (seq2seq.h); the tokenizers' bytes as the u8 tensors
//            "tokenizer" (target) and "src_tokenizer" (source) — the same bytes twice when they are joint
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

void seq2seq_checkpoint_add(checkpoint& ck, const seq2seq_model& m, const tokenizer& src_tok,
                            const tokenizer& tgt_tok);
// Rebuilds the model and both tokenizers, checking every parameter's presence and shape and that each
// tokenizer's vocabulary matches the model's. A checkpoint of another model kind is refused by name.
status seq2seq_checkpoint_load(const checkpoint& ck, std::unique_ptr<seq2seq_model>& m,
                               std::unique_ptr<tokenizer>& src_tok, std::unique_ptr<tokenizer>& tgt_tok);
// checkpoint_read + seq2seq_checkpoint_load, with the path in any error message.
status seq2seq_load(const std::string& path, std::unique_ptr<seq2seq_model>& m, std::unique_ptr<tokenizer>& src_tok,
                    std::unique_ptr<tokenizer>& tgt_tok);
// Writes the model, the tokenizers and `training` (when not null) to path (atomically, as checkpoint_write).
status seq2seq_save(const std::string& path, const seq2seq_model& m, const tokenizer& src_tok,
                    const tokenizer& tgt_tok, const nlohmann::json& training = nullptr);

// A sentence's ids as the model was trained on them (seq2seq_config::space_prefix), and the text of ids.
std::vector<int> seq2seq_encode(const tokenizer& tok, std::string_view text, bool space_prefix);
std::string seq2seq_decode(const tokenizer& tok, const std::vector<int>& ids, bool space_prefix);

}  // namespace pluma
