// seq2seq_io: see the header for the checkpoint's layout.
#include "model/rnn/seq2seq_io.h"

#include "model/model_io.h"

namespace pluma {

void seq2seq_checkpoint_add(checkpoint& ck, seq2seq_model& m, const tokenizer& src_tok,
                            const tokenizer& tgt_tok) {
  checkpoint_add_model(ck, m, tgt_tok, &src_tok);
}

status seq2seq_checkpoint_load(const checkpoint& ck, std::unique_ptr<seq2seq_model>& m,
                               std::unique_ptr<tokenizer>& src_tok, std::unique_ptr<tokenizer>& tgt_tok) {
  std::unique_ptr<trainable> t;
  PLUMA_TRY(checkpoint_load_trainable(ck, t, tgt_tok, src_tok));
  if (t->kind() != model_kind::seq2seq)
    return status::error(std::string("checkpoint holds a ") + model_kind_name(t->kind()) +
                         " language model, not a translation model (train one with: pluma train --model seq2seq)");
  m.reset(static_cast<seq2seq_model*>(t.release()));
  return status::ok();
}

status seq2seq_load(const std::string& path, std::unique_ptr<seq2seq_model>& m, std::unique_ptr<tokenizer>& src_tok,
                    std::unique_ptr<tokenizer>& tgt_tok) {
  checkpoint ck;
  PLUMA_TRY(checkpoint_read(path, ck, checkpoint_for_use));
  return seq2seq_checkpoint_load(ck, m, src_tok, tgt_tok).with_context(path);
}

status seq2seq_save(const std::string& path, seq2seq_model& m, const tokenizer& src_tok,
                    const tokenizer& tgt_tok, const nlohmann::json& training) {
  checkpoint ck;
  seq2seq_checkpoint_add(ck, m, src_tok, tgt_tok);
  if (!training.is_null()) ck.metadata["training"] = training.dump();
  return checkpoint_write(path, ck);
}

std::vector<int> seq2seq_encode(const tokenizer& tok, std::string_view text, bool space_prefix) {
  if (!space_prefix || text.empty()) return tok.encode(text);
  return tok.encode(" " + std::string(text));
}

std::string seq2seq_decode(const tokenizer& tok, const std::vector<int>& ids, bool space_prefix) {
  std::string text = tok.decode(ids);
  if (space_prefix && !text.empty() && text[0] == ' ') text.erase(0, 1);
  return text;
}

}  // namespace pluma
