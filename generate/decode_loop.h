// decode_loop: autoregressive generation over the lm_model incremental-decoding interface
// (a KV cache for the GPT, a recurrent state for the LSTM). Streams text through a callback.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "generate/sampler.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

// What generate_tokens shows an observer after each draw: the drawn id, the raw logits it was drawn
// from, and the candidates the sampler chain kept (prob = the renormalized probabilities of the draw).
struct token_event {
  int id;
  const float* logits;               // (V)
  int V;
  const candidate_array& kept;
};

struct generate_config {
  int max_new_tokens = 500;
  std::vector<std::string> stop;     // generation ends when the new text contains one (it is not emitted)
  bool stop_at_eos = true;           // <eos> ends generation
  sampler_config sampling;
  // Optional: called after every draw (<eos> included), before its text; returning false ends generation
  // (stop_reason::cancelled), e.g. when the client of a server has gone.
  std::function<bool(const token_event&)> on_token;
};

// Feeds `ids` through the model one position at a time. For a model with a context length Tc, when the
// cache is full the window slides: the state is rebuilt from the last Tc/2 ids (positions restart at 0),
// as a model trained on windows of Tc tokens expects. On return `logits` (V) predict the token after ids.
class decoder {
 public:
  explicit decoder(lm_model& m);
  void reset();                                      // forget everything fed so far
  void feed(const std::vector<int>& ids);            // ids must be non-empty on the first call
  void feed(int id) { feed(std::vector<int>{id}); }
  const std::vector<float>& logits() const { return logits_; }
  const std::vector<int>& history() const { return history_; }
  int rebuilds() const { return rebuilds_; }         // how many times the window slid
  int position() const { return state_ ? state_->position : 0; }   // ids in the state: the last of history()

 private:
  void step(int id);
  lm_model& model_;
  std::unique_ptr<decode_state> state_;
  std::vector<int> history_;
  std::vector<float> logits_;                        // (V)
  int rebuilds_ = 0;
};

// The reason generation ended.
enum class stop_reason { length, eos, stop_string, cancelled };

// Generates up to cfg.max_new_tokens after `prompt` (which must be non-empty: use {sos_id} for none).
// on_text receives each new piece of text as soon as it is complete UTF-8 and cannot be the start of a
// stop string. Returns the new ids in `out_ids` and the whole new text in `out_text`.
stop_reason generate_tokens(lm_model& m, const tokenizer& tok, const std::vector<int>& prompt,
                            const generate_config& cfg, const std::function<void(const std::string&)>& on_text,
                            std::vector<int>& out_ids, std::string& out_text);

}  // namespace pluma
