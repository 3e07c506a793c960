#include "generate/decode_loop.h"

#include <algorithm>

#include "model/core/check.h"

namespace pluma {

decoder::decoder(lm_model& m) : model_(m), logits_(static_cast<size_t>(m.vocab_size())) {}

void decoder::reset() {
  state_.reset();
  history_.clear();
  rebuilds_ = 0;
}

void decoder::step(int id) {
  if (!state_) state_ = model_.decode_begin(1);
  int Tc = model_.context_length();
  if (Tc > 0 && state_->position >= Tc) {
    // Slide: rebuild from the last Tc/2 ids before this one (history_ already ends with `id`).
    int keep = std::max(1, Tc / 2);
    state_ = model_.decode_begin(1);
    rebuilds_++;
    size_t start = history_.size() - 1 - static_cast<size_t>(keep);
    for (size_t i = start; i + 1 < history_.size(); i++) {
      int t = history_[i];
      model_.decode_step(*state_, &t, logits_.data());
    }
  }
  model_.decode_step(*state_, &id, logits_.data());
}

void decoder::feed(const std::vector<int>& ids) {
  PLUMA_CHECK(!ids.empty() || !history_.empty(), "decoder needs at least one id");
  for (int id : ids) {
    history_.push_back(id);
    step(id);
  }
}

namespace {

// Length of the longest prefix of `text` that is complete UTF-8 (no sequence cut at the end).
size_t complete_utf8_prefix(const std::string& text) {
  size_t n = text.size();
  size_t i = n;
  int back = 0;
  while (i > 0 && back < 4) {
    unsigned char c = static_cast<unsigned char>(text[i - 1]);
    if ((c & 0xC0) != 0x80) {  // a lead byte or ASCII
      size_t need = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
      return (n - (i - 1) >= need) ? n : i - 1;
    }
    i--;
    back++;
  }
  return n;
}

// How many trailing bytes of `text` could be the beginning of one of the stop strings.
size_t stop_prefix_holdback(const std::string& text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const auto& s : stops) {
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; k--) {
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

}  // namespace

stop_reason generate_tokens(lm_model& m, const tokenizer& tok, const std::vector<int>& prompt,
                            const generate_config& cfg, const std::function<void(const std::string&)>& on_text,
                            std::vector<int>& out_ids, std::string& out_text) {
  PLUMA_CHECK(!prompt.empty(), "generate_tokens needs a non-empty prompt");
  decoder dec(m);
  sampler smp(cfg.sampling);
  dec.feed(prompt);
  out_ids.clear();
  out_text.clear();
  size_t emitted = 0;  // bytes of out_text already passed to on_text
  stop_reason reason = stop_reason::length;
  const int V = m.vocab_size();
  for (int i = 0; i < cfg.max_new_tokens; i++) {
    int next = smp.sample(dec.logits().data(), V, dec.history());
    if (next == eos_id && cfg.stop_at_eos) {
      reason = stop_reason::eos;
      break;
    }
    out_ids.push_back(next);
    out_text = tok.decode(out_ids);
    bool stopped = false;
    for (const auto& s : cfg.stop) {
      size_t at = out_text.find(s, emitted > s.size() ? emitted - s.size() : 0);
      if (!s.empty() && at != std::string::npos) {
        out_text.resize(at);
        stopped = true;
      }
    }
    if (stopped) {
      reason = stop_reason::stop_string;
      break;
    }
    size_t ready = complete_utf8_prefix(out_text);
    ready -= std::min(ready, stop_prefix_holdback(out_text.substr(0, ready), cfg.stop));
    if (ready > emitted && on_text) on_text(out_text.substr(emitted, ready - emitted));
    emitted = std::max(emitted, ready);
    if (i + 1 < cfg.max_new_tokens) dec.feed(next);
  }
  if (out_text.size() > emitted && on_text) on_text(out_text.substr(emitted));
  return reason;
}

}  // namespace pluma
