// A .pluma file: the safetensors-style header and tensor table, then the model loaders that read its
// metadata (model config, tokenizers) and copy its tensors.
#include <memory>

#include "model/checkpoint.h"
#include "model/model_io.h"
#include "model/rnn/seq2seq_io.h"
#include "tests/fuzz/targets.h"

namespace pluma::fuzz {

int checkpoint_one(const uint8_t* data, size_t size) {
  checkpoint ck;
  if (!checkpoint_read(scratch_file(data, size), ck)) return 0;
  std::unique_ptr<lm_model> m;
  std::unique_ptr<tokenizer> tok;
  (void)checkpoint_load_model(ck, m, tok);
  std::unique_ptr<seq2seq_model> s;
  std::unique_ptr<tokenizer> src, tgt;
  (void)seq2seq_checkpoint_load(ck, s, src, tgt);
  return 0;
}

}  // namespace pluma::fuzz
