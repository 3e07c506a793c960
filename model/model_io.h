// model_io: a model of any kind and its tokenizer(s) inside a .pluma checkpoint: the one reader and writer,
// used by train/ (checkpoints, resume) and generate/ (sampling, translation) alike.
//   metadata "format": "pluma-1"; "config": the model's config_json() (its "kind" names the model);
//            "tokenizer": {"kind", "vocab_size", "hash"} of the (target) tokenizer;
//            "src_tokenizer": the same of a translator's source tokenizer
//   tensors: every parameter under its size-table name; the tokenizers' bytes as the u8 tensors "tokenizer" and
//            (a translator) "src_tokenizer", the same bytes twice when one tokenizer serves both sides
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

constexpr const char* checkpoint_format = "pluma-1";

// Adds the model's config, its parameters (from `params` when given, a copy with the model's size table;
// else the model's own) and the tokenizers; src_tok for a translator only.
void checkpoint_add_model(checkpoint& ck, trainable& m, const tokenizer& tok, const tokenizer* src_tok = nullptr,
                          const arena* params = nullptr);
// Rebuilds the model (factory, by "kind") and its tokenizers from ck, checking every parameter's presence
// and shape and each tokenizer's vocabulary against the model's. src_tok is set for a translator.
status checkpoint_load_trainable(const checkpoint& ck, std::unique_ptr<trainable>& m, std::unique_ptr<tokenizer>& tok,
                                 std::unique_ptr<tokenizer>& src_tok);
// The same for a language model: a translator's checkpoint is refused by name.
status checkpoint_load_model(const checkpoint& ck, std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok);
// checkpoint_read + checkpoint_load_model, with the path in any error message.
status model_load(const std::string& path, std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok);

// Every tensor of the size table under prefix + spec.name, and back: the one load with a shape check.
void checkpoint_put_arena(checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                          const arena& a);
// The tokenizer stored in ck under `name` ("tokenizer", or a translator's "src_tokenizer"), unchecked
// against any model.
status checkpoint_tokenizer(const checkpoint& ck, const std::string& name, std::unique_ptr<tokenizer>& out);
// Checks that every tensor of `specs` is in ck (under prefix) with its shape, without touching an arena.
status checkpoint_check_arena(const checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs);
status checkpoint_get_arena(const checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                            arena& a);

}  // namespace pluma
