#include "data/bucket.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "model/core/rng.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

status bucket_batcher::create(const std::vector<encoded_pair>& pairs, const bucket_config& cfg, uint64_t seed,
                              bucket_batcher& out) {
  if (pairs.empty()) return status::error("the parallel corpus has no sentence pairs");
  if (cfg.max_sentences <= 0)
    return status::error("sentences per batch " + std::to_string(cfg.max_sentences) + " must be positive");
  if (cfg.max_tokens < 0)
    return status::error("token budget per batch " + std::to_string(cfg.max_tokens) + " must be >= 0 (0: none)");
  for (size_t i = 0; i < pairs.size(); i++)
    if (pairs[i].src.empty())
      return status::error("sentence pair " + std::to_string(i) + " has an empty source after encoding");
  out.pairs_ = &pairs;
  out.cfg_ = cfg;
  out.seed_ = seed;
  out.state_ = {};
  out.planned_epoch_ = UINT64_MAX;
  out.plan_.clear();
  return status::ok();
}

void bucket_batcher::plan_epoch() {
  if (planned_epoch_ == state_.epoch) return;
  const auto& pairs = *pairs_;
  rng gen(seed_ + 0x9E3779B97F4A7C15ULL * (state_.epoch + 1));

  std::vector<size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  for (size_t i = order.size(); i > 1; i--) std::swap(order[i - 1], order[gen.below(i)]);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return pairs[a].src.size() < pairs[b].src.size(); });

  plan_.clear();
  std::vector<size_t> cur;
  size_t S = 0, T = 0;   // padded sizes of `cur`
  for (size_t idx : order) {
    const size_t s = pairs[idx].src.size(), t = pairs[idx].tgt.size() + 1;
    const size_t S2 = std::max(S, s), T2 = std::max(T, t);
    const bool rows_full = cur.size() >= static_cast<size_t>(cfg_.max_sentences);
    const bool over_budget = cfg_.max_tokens > 0 && (cur.size() + 1) * (S2 + T2) > static_cast<size_t>(cfg_.max_tokens);
    if (!cur.empty() && (rows_full || over_budget)) {
      plan_.push_back(std::move(cur));
      cur.clear();
      S = s;
      T = t;
    } else {
      S = S2;
      T = T2;
    }
    cur.push_back(idx);
  }
  if (!cur.empty()) plan_.push_back(std::move(cur));
  for (size_t i = plan_.size(); i > 1; i--) std::swap(plan_[i - 1], plan_[gen.below(i)]);
  planned_epoch_ = state_.epoch;
}

size_t bucket_batcher::batches_in_epoch() {
  plan_epoch();
  return plan_.size();
}

status bucket_batcher::set_state(const bucket_state& s) {
  bucket_state old = state_;
  state_ = s;
  plan_epoch();
  if (s.batch > plan_.size()) {
    size_t n = plan_.size();
    state_ = old;
    return status::error("saved batch position " + std::to_string(s.batch) + " is past the " + std::to_string(n) +
                         " batches of an epoch (the state does not match this corpus or batch size)");
  }
  return status::ok();
}

bool bucket_batcher::next(seq2seq_batch& out) {
  plan_epoch();
  if (state_.batch >= plan_.size()) {
    state_.epoch++;
    state_.batch = 0;
    return false;
  }
  const auto& rows = plan_[state_.batch++];
  const auto& pairs = *pairs_;
  const int B = static_cast<int>(rows.size());
  int S = 0, T = 0;
  for (size_t idx : rows) {
    S = std::max(S, static_cast<int>(pairs[idx].src.size()));
    T = std::max(T, static_cast<int>(pairs[idx].tgt.size()) + 1);
  }
  out.B = B;
  out.S = S;
  out.T = T;
  out.src.assign(static_cast<size_t>(B) * S, pad_id);
  out.src_mask.assign(static_cast<size_t>(B) * S, 0.0f);
  out.src_len.assign(B, 0);
  out.tgt_in.assign(static_cast<size_t>(B) * T, pad_id);
  out.tgt_out.assign(static_cast<size_t>(B) * T, pad_id);
  out.tgt_mask.assign(static_cast<size_t>(B) * T, 0.0f);
  out.tgt_len.assign(B, 0);
  out.pair_index.assign(rows.begin(), rows.end());
  for (int b = 0; b < B; b++) {
    const encoded_pair& p = pairs[rows[b]];
    const int s = static_cast<int>(p.src.size()), t = static_cast<int>(p.tgt.size());
    int32_t* src = out.src.data() + static_cast<size_t>(b) * S;          // (S)
    float* src_mask = out.src_mask.data() + static_cast<size_t>(b) * S;  // (S)
    int32_t* tgt_in = out.tgt_in.data() + static_cast<size_t>(b) * T;    // (T)
    int32_t* tgt_out = out.tgt_out.data() + static_cast<size_t>(b) * T;  // (T)
    float* tgt_mask = out.tgt_mask.data() + static_cast<size_t>(b) * T;  // (T)
    for (int i = 0; i < s; i++) {
      src[i] = p.src[i];
      src_mask[i] = 1.0f;
    }
    tgt_in[0] = sos_id;
    for (int i = 0; i < t; i++) {
      tgt_in[i + 1] = p.tgt[i];
      tgt_out[i] = p.tgt[i];
    }
    tgt_out[t] = eos_id;
    for (int i = 0; i <= t; i++) tgt_mask[i] = 1.0f;
    out.src_len[b] = s;
    out.tgt_len[b] = t + 1;
  }
  return true;
}

}  // namespace pluma
