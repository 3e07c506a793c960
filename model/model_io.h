// model_io: a model and its tokenizer inside a .pluma checkpoint. Read by train/ (resume) and
// generate/ (sampling, inspection) alike, so generate/ never needs train/.
//   metadata "format": "pluma-1"; "config": the model's config_json(); "tokenizer": {"kind", "vocab_size", "hash"}
//   tensors: every parameter under its size-table name; the tokenizer's bytes as the u8 tensor "tokenizer"
#pragma once
#include <memory>
#include <string>

#include "model/checkpoint.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

constexpr const char* checkpoint_format = "pluma-1";

// Adds the model's parameters, config and the tokenizer to ck (metadata "format", "config", "tokenizer").
void checkpoint_add_model(checkpoint& ck, lm_model& m, const tokenizer& tok);
// Rebuilds the model (factory) and tokenizer from ck, checking that every parameter is present with the
// right shape and that the tokenizer's vocabulary matches the model's.
status checkpoint_load_model(const checkpoint& ck, std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok);
// checkpoint_read + checkpoint_load_model, with the path in any error message.
status model_load(const std::string& path, std::unique_ptr<lm_model>& m, std::unique_ptr<tokenizer>& tok);

}  // namespace pluma
