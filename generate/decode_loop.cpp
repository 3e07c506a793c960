#include "generate/decode_loop.h"

#include <algorithm>
#include <string_view>

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
    // Slide: rebuild from the last Tc/2 ids before this one and this one (history_ already ends with `id`),
    // in one prefill from position 0.
    int keep = std::max(1, Tc / 2);
    model_.decode_rewind(*state_);
    rebuilds_++;
    model_.decode_prefill(*state_, history_.data() + history_.size() - 1 - keep, keep + 1, logits_.data());
    return;
  }
  model_.decode_step(*state_, &id, logits_.data());
}

void decoder::feed(const std::vector<int>& ids) {
  PLUMA_CHECK(!ids.empty() || !history_.empty(), "decoder needs at least one id");
  size_t i = 0;
  if (!state_ && ids.size() >= 2) {
    // A fresh state takes as many ids as fit its context in one prefill.
    const int Tc = model_.context_length();
    const size_t n = Tc > 0 ? std::min(ids.size(), static_cast<size_t>(Tc)) : ids.size();
    state_ = model_.decode_begin(1);
    history_.insert(history_.end(), ids.begin(), ids.begin() + static_cast<long>(n));
    model_.decode_prefill(*state_, ids.data(), static_cast<int>(n), logits_.data());
    i = n;
  }
  for (; i < ids.size(); i++) {
    history_.push_back(ids[i]);
    step(ids[i]);
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
size_t stop_prefix_holdback(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const auto& s : stops) {
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; k--) {
      if (text.substr(text.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

// Appends the text of ids.back() to `text`, the text of ids without it, by decoding only a short window of
// the last ids: the window reaches back to the second visible (non-special) id, so a tokenizer that
// spaces a token by its neighbour sees it. decode(window + new id) must begin with decode(window); where it
// does not (a tokenizer that rewrites across the window's start, such as byte pieces completing a UTF-8
// character), the whole text is decoded again.
void append_last_token_text(const tokenizer& tok, const std::vector<int>& ids, std::string& text) {
  const size_t n = ids.size();
  size_t start = n - 1;
  for (int visible = 0; start > 0 && (visible < 2 || n - start < 4);)
    if (ids[--start] >= num_special_ids) visible++;
  if (start == 0) {
    text = tok.decode(ids);
    return;
  }
  const std::vector<int> window(ids.begin() + static_cast<long>(start), ids.end() - 1);
  const std::string before = tok.decode(window);
  const std::string after = tok.decode(std::vector<int>(ids.begin() + static_cast<long>(start), ids.end()));
  if (after.compare(0, before.size(), before) == 0) text.append(after, before.size());
  else text = tok.decode(ids);
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
    if (cfg.on_token && !cfg.on_token(token_event{next, dec.logits().data(), V, smp.candidates()})) {
      reason = stop_reason::cancelled;
      break;
    }
    if (next == eos_id && cfg.stop_at_eos) {
      reason = stop_reason::eos;
      break;
    }
    out_ids.push_back(next);
    append_last_token_text(tok, out_ids, out_text);
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
    ready -= std::min(ready, stop_prefix_holdback(std::string_view(out_text).substr(0, ready), cfg.stop));
    if (ready > emitted && on_text) on_text(out_text.substr(emitted, ready - emitted));
    emitted = std::max(emitted, ready);
    if (i + 1 < cfg.max_new_tokens) dec.feed(next);
  }
  if (out_text.size() > emitted && on_text) on_text(out_text.substr(emitted));
  return reason;
}

}  // namespace pluma
