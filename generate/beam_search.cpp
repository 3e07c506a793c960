// beam_search: beam, greedy and sampled translation over seq2seq_model's incremental decoder.
#include "generate/beam_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "model/core/check.h"
#include "model/core/exec.h"
#include "model/ops/seq_ops.h"
#include "tokenizer/tokenizer.h"

namespace pluma {
namespace {

// A padded source batch: src (B, S), len (B); an empty source becomes one <unk>.
struct source_batch {
  int B = 0, S = 0;
  std::vector<int> src, len;
};

source_batch pad_sources(const std::vector<std::vector<int>>& srcs) {
  source_batch sb;
  sb.B = int(srcs.size());
  for (const auto& s : srcs) sb.S = std::max(sb.S, std::max(1, int(s.size())));
  sb.src.assign(size_t(sb.B) * sb.S, pad_id);
  sb.len.resize(sb.B);
  for (int b = 0; b < sb.B; b++) {
    if (srcs[b].empty()) {
      sb.src[size_t(b) * sb.S] = unk_id;
      sb.len[b] = 1;
    } else {
      std::copy(srcs[b].begin(), srcs[b].end(), sb.src.begin() + size_t(b) * sb.S);
      sb.len[b] = int(srcs[b].size());
    }
  }
  return sb;
}

float normalized(float logprob, int len, float alpha) { return logprob / std::pow(float(len), alpha); }

// One expansion of a live beam: its score and flat index k * V + token.
struct beam_candidate {
  float score;
  int index;
};

// The n best candidates of a sentence, best first, ties to the lower index. logp: (K, V) rows of the
// sentence's beams; scores: (K) their scores (-inf: no live beam).
void top_candidates(const float* logp, const float* scores, int K, int V, int n, std::vector<beam_candidate>& top) {
  top.clear();
  for (int k = 0; k < K; k++) {
    if (!std::isfinite(scores[k])) continue;
    const float* row = logp + size_t(k) * V;
    for (int v = 0; v < V; v++) {
      const float s = scores[k] + row[v];
      if (int(top.size()) == n && !(s > top.back().score)) continue;   // later index loses ties
      auto pos = std::upper_bound(top.begin(), top.end(), s,
                                  [](float value, const beam_candidate& c) { return value > c.score; });
      top.insert(pos, {s, k * V + v});
      if (int(top.size()) > n) top.pop_back();
    }
  }
}

void sort_nbest(std::vector<translation>& hyps, int n_best) {
  std::stable_sort(hyps.begin(), hyps.end(),
                   [](const translation& a, const translation& b) { return a.score > b.score; });
  if (int(hyps.size()) > n_best) hyps.resize(n_best);
}

// The decoding state of one row shared by the searches: tokens so far and their attention rows.
struct row_history {
  std::vector<int> tokens;
  std::vector<float> attention;   // (steps, src_len)
};

void append_attention(std::vector<float>& dst, const float* att_row, int src_len) {
  dst.insert(dst.end(), att_row, att_row + src_len);
}

}  // namespace

status decode_config_validate(const decode_config& cfg) {
  if (cfg.beam < 1 || cfg.beam > 256)
    return status::error("beam size must be in [1, 256] (got " + std::to_string(cfg.beam) + ")");
  if (cfg.n_best < 1 || cfg.n_best > cfg.beam)
    return status::error("n-best must be in [1, beam size " + std::to_string(cfg.beam) + "] (got " +
                         std::to_string(cfg.n_best) + ")");
  if (!(cfg.length_alpha >= 0.0f && cfg.length_alpha <= 10.0f))
    return status::error("length normalization alpha must be in [0, 10] (got " + std::to_string(cfg.length_alpha) +
                         ")");
  if (!(cfg.max_len_ratio >= 0.0f && cfg.max_len_ratio <= 100.0f))
    return status::error("max length ratio must be in [0, 100] (got " + std::to_string(cfg.max_len_ratio) + ")");
  if (cfg.max_len_extra < 0) return status::error("max length extra must be >= 0");
  if (cfg.max_len_cap < 1) return status::error("max length cap must be >= 1");
  return status::ok();
}

int decode_max_len(const decode_config& cfg, int src_len) {
  const int n = int(cfg.max_len_ratio * float(src_len)) + cfg.max_len_extra;
  return std::max(1, std::min(cfg.max_len_cap, n));
}

void beam_search(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                 std::vector<std::vector<translation>>& out) {
  PLUMA_CHECK(decode_config_validate(cfg).is_ok(), "beam_search: invalid decode config");
  out.assign(srcs.size(), {});
  if (srcs.empty()) return;
  const source_batch sb = pad_sources(srcs);
  const int B = sb.B, S = sb.S, K = cfg.beam, V = m.config().vocab_size;
  seq2seq_decoder_state st;
  m.decode_begin(sb.src.data(), sb.len.data(), B, S, K, st);

  // Slot a holds sentence sent[a] in rows a*K .. a*K+K-1; finished sentences' slots are dropped now and then.
  std::vector<int> sent(B), max_len(B);
  std::iota(sent.begin(), sent.end(), 0);
  int A = B, R = B * K;
  std::vector<int> y(R, sos_id), next_y(R), rows(R);
  std::vector<float> scores(R, -INFINITY), next_scores(R);
  std::vector<float> logits(size_t(R) * V), att(cfg.keep_attention ? size_t(R) * S : 0);
  std::vector<row_history> hist(R), next_hist(R);
  std::vector<char> done(B, 0);
  for (int b = 0; b < B; b++) {
    scores[size_t(b) * K] = 0.0f;
    max_len[b] = decode_max_len(cfg, sb.len[b]);
  }
  for (int t = 0;; t++) {
    m.decode_step(st, y.data(), logits.data(), cfg.keep_attention ? att.data() : nullptr);
    log_softmax_forward(cpu_context(), logits.data(), logits.data(), R, V);
#pragma omp parallel
    {
      std::vector<beam_candidate> top;
#pragma omp for schedule(dynamic)
      for (int a = 0; a < A; a++) {
        const int b = sent[a], r0 = a * K;
        if (done[b]) {
          for (int k = 0; k < K; k++) rows[r0 + k] = r0 + k, next_y[r0 + k] = pad_id, next_scores[r0 + k] = -INFINITY;
          continue;
        }
        top_candidates(logits.data() + size_t(r0) * V, scores.data() + r0, K, V, 2 * K, top);
        int live = 0;
        for (int j = 0; j < int(top.size()); j++) {
          const int k = top[j].index / V, tok = top[j].index % V, r = r0 + k;
          if (tok == eos_id) {
            if (j < K && int(out[b].size()) < K) {
              translation tr;
              tr.tokens = hist[r].tokens;
              tr.logprob = top[j].score;
              tr.score = normalized(tr.logprob, t + 1, cfg.length_alpha);
              tr.finished = true;
              tr.src_len = sb.len[b];
              if (cfg.keep_attention) {
                tr.attention = hist[r].attention;
                append_attention(tr.attention, att.data() + size_t(r) * S, sb.len[b]);
              }
              out[b].push_back(std::move(tr));
            }
          } else if (live < K) {
            rows[r0 + live] = r, next_y[r0 + live] = tok, next_scores[r0 + live] = top[j].score;
            live++;
          }
        }
        for (; live < K; live++) rows[r0 + live] = r0, next_y[r0 + live] = pad_id, next_scores[r0 + live] = -INFINITY;
      }
    }
    for (int r = 0; r < R; r++) {
      const int from = rows[r];
      next_hist[r].tokens = hist[from].tokens;
      next_hist[r].tokens.push_back(next_y[r]);
      if (cfg.keep_attention) {
        next_hist[r].attention = hist[from].attention;
        append_attention(next_hist[r].attention, att.data() + size_t(from) * S, sb.len[sent[r / K]]);
      }
    }
    hist.swap(next_hist);
    y.swap(next_y);
    scores.swap(next_scores);
    m.decode_select(st, rows.data());
    int n_done = 0;
    for (int a = 0; a < A; a++) {
      const int b = sent[a];
      if (!done[b] && int(out[b].size()) >= K) {
        done[b] = 1;
      } else if (!done[b] && t + 1 >= max_len[b]) {   // the length limit: every live beam finishes unfinished
        for (int k = 0; k < K; k++) {
          const int r = a * K + k;
          if (!std::isfinite(scores[r])) continue;
          translation tr;
          tr.tokens = hist[r].tokens;
          tr.logprob = scores[r];
          tr.score = normalized(tr.logprob, t + 1, cfg.length_alpha);
          tr.src_len = sb.len[b];
          if (cfg.keep_attention) tr.attention = hist[r].attention;
          out[b].push_back(std::move(tr));
        }
        done[b] = 1;
      }
      n_done += done[b];
    }
    if (n_done == A) break;
    if (4 * n_done >= A) {   // drop the finished sentences' rows (a gather of their state: not every step)
      std::vector<int> keep;
      for (int a = 0; a < A; a++)
        if (!done[sent[a]]) keep.push_back(a);
      m.decode_keep(st, keep);
      for (int i = 0; i < int(keep.size()); i++) {
        if (keep[i] == i) continue;   // (a self-move would empty the history)
        sent[i] = sent[keep[i]];
        for (int k = 0; k < K; k++) {
          const int to = i * K + k, from = keep[i] * K + k;
          y[to] = y[from];
          scores[to] = scores[from];
          hist[to] = std::move(hist[from]);
        }
      }
      A = int(keep.size());
      R = A * K;
    }
  }
  for (auto& hyps : out) sort_nbest(hyps, cfg.n_best);
}

// Greedy and sampled decoding share this loop; pick(logits_row, logprob_row, history) chooses a row's next token.
template <class Pick>
void single_path_search(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                        Pick&& pick, std::vector<std::vector<translation>>& out) {
  PLUMA_CHECK(decode_config_validate(cfg).is_ok(), "decode: invalid decode config");
  out.assign(srcs.size(), {});
  if (srcs.empty()) return;
  const source_batch sb = pad_sources(srcs);
  const int B = sb.B, S = sb.S, V = m.config().vocab_size;
  seq2seq_decoder_state st;
  m.decode_begin(sb.src.data(), sb.len.data(), B, S, 1, st);
  std::vector<int> sent(B), y(B, sos_id);   // row a decodes sentence sent[a]; finished rows are dropped
  std::iota(sent.begin(), sent.end(), 0);
  int A = B;
  std::vector<float> logits(size_t(B) * V), logp(size_t(B) * V), att(cfg.keep_attention ? size_t(B) * S : 0);
  std::vector<translation> hyp(B);
  std::vector<char> done(B, 0);
  for (int b = 0; b < B; b++) hyp[b].src_len = sb.len[b];
  for (int t = 0;; t++) {
    m.decode_step(st, y.data(), logits.data(), cfg.keep_attention ? att.data() : nullptr);
    log_softmax_forward(cpu_context(), logp.data(), logits.data(), A, V);
    int n_done = 0;
    for (int a = 0; a < A; a++) {
      const int b = sent[a];
      if (!done[b]) {
        const float* lp = logp.data() + size_t(a) * V;
        const int tok = pick(logits.data() + size_t(a) * V, lp, hyp[b].tokens);
        hyp[b].logprob += lp[tok];
        if (cfg.keep_attention) append_attention(hyp[b].attention, att.data() + size_t(a) * S, sb.len[b]);
        if (tok == eos_id) {
          hyp[b].finished = true;
          done[b] = 1;
        } else {
          hyp[b].tokens.push_back(tok);
          y[a] = tok;
          done[b] = t + 1 >= decode_max_len(cfg, sb.len[b]);
        }
        if (done[b]) hyp[b].score = normalized(hyp[b].logprob, t + 1, cfg.length_alpha);
      }
      n_done += done[b];
    }
    if (n_done == A) break;
    if (4 * n_done >= A) {   // drop the finished rows
      std::vector<int> keep;
      for (int a = 0; a < A; a++)
        if (!done[sent[a]]) keep.push_back(a);
      m.decode_keep(st, keep);
      for (int i = 0; i < int(keep.size()); i++) sent[i] = sent[keep[i]], y[i] = y[keep[i]];
      A = int(keep.size());
    }
  }
  for (int b = 0; b < B; b++) out[b].push_back(std::move(hyp[b]));
}

void greedy_search(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                   std::vector<std::vector<translation>>& out) {
  // the argmax of the log-probabilities, as a beam compares them (rounding can tie two close logits there)
  auto argmax = [&](const float*, const float* lp, const std::vector<int>&) {
    return int(std::max_element(lp, lp + m.config().vocab_size) - lp);
  };
  single_path_search(m, srcs, cfg, argmax, out);
}

void sample_search(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                   sampler& s, std::vector<std::vector<translation>>& out) {
  auto draw = [&](const float* row, const float*, const std::vector<int>& history) {
    return s.sample(row, m.config().vocab_size, history);
  };
  single_path_search(m, srcs, cfg, draw, out);
}

void translate_corpus(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                      int batch_size, sampler* s, std::vector<std::vector<translation>>& out) {
  PLUMA_CHECK(batch_size > 0, "translate_corpus: batch_size must be positive");
  out.assign(srcs.size(), {});
  std::vector<size_t> order(srcs.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return srcs[a].size() < srcs[b].size(); });
  std::vector<std::vector<int>> batch;
  std::vector<std::vector<translation>> res;
  for (size_t i = 0; i < order.size(); i += size_t(batch_size)) {
    const size_t n = std::min(order.size() - i, size_t(batch_size));
    batch.clear();
    for (size_t j = 0; j < n; j++) batch.push_back(srcs[order[i + j]]);
    if (s) sample_search(m, batch, cfg, *s, res);
    else if (cfg.beam == 1) greedy_search(m, batch, cfg, res);
    else beam_search(m, batch, cfg, res);
    for (size_t j = 0; j < n; j++) out[order[i + j]] = std::move(res[j]);
  }
}

}  // namespace pluma
