#include "train/word2vec.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

#include "model/core/rng.h"
#include "train/word2vec_kernels.h"

namespace pluma {

const char* word2vec_arch_name(word2vec_arch a) { return a == word2vec_arch::cbow ? "cbow" : "skipgram"; }

status word2vec_arch_parse(const std::string& name, word2vec_arch& out) {
  if (name == "skipgram" || name == "sg") { out = word2vec_arch::skipgram; return status::ok(); }
  if (name == "cbow") { out = word2vec_arch::cbow; return status::ok(); }
  return status::error("unknown word2vec model '" + name + "' (skipgram or cbow)");
}

status word2vec_config_check(const word2vec_config& c) {
  auto range = [](const char* what, long long v, long long lo, long long hi) {
    return v < lo || v > hi ? status::error(std::string(what) + " must be between " + std::to_string(lo) + " and " +
                                            std::to_string(hi) + " (got " + std::to_string(v) + ")")
                            : status::ok();
  };
  PLUMA_TRY(range("--dim", c.dim, 1, 10000));
  PLUMA_TRY(range("--window", c.window, 1, 100));
  PLUMA_TRY(range("--negative", c.negative, 1, 100));
  PLUMA_TRY(range("--min-count", c.min_count, 1, 1000000000));
  PLUMA_TRY(range("--epochs", c.epochs, 1, 10000));
  PLUMA_TRY(range("--threads", c.threads, 1, 1024));
  if (!(c.sample >= 0 && c.sample < 1)) return status::error("--sample must be in [0, 1) (0: no subsampling)");
  if (!(c.alpha > 0 && c.alpha < 10)) return status::error("--alpha must be positive");
  if (!(c.min_alpha > 0 && c.min_alpha <= c.alpha)) return status::error("--min-alpha must be positive and at most --alpha");
  return status::ok();
}

namespace {

// Negative samples from the unigram distribution raised to 3/4, by Walker's alias method: one draw
// is one random number and at most two reads from two (V) arrays that stay in cache (a binary search
// over the cumulative table, as gensim does, costs a dozen unpredictable branches per sample).
struct negative_table {
  std::vector<uint32_t> threshold;   // (V) keep column i when the draw's fraction is below this (2^32 scale)
  std::vector<int32_t> alias;        // (V) else take this word
  explicit negative_table(const std::vector<int64_t>& counts) {
    const int V = static_cast<int>(counts.size());
    std::vector<double> p(V);
    double total = 0;
    for (int i = 0; i < V; i++) total += p[i] = std::pow(static_cast<double>(counts[i]), 0.75);
    for (double& x : p) x *= V / total;   // mean 1
    threshold.assign(V, 0xFFFFFFFFu);
    alias.resize(V);
    std::vector<int> small, large;
    for (int i = 0; i < V; i++) { alias[i] = i; (p[i] < 1 ? small : large).push_back(i); }
    while (!small.empty() && !large.empty()) {
      int s = small.back(), l = large.back();
      small.pop_back();
      threshold[s] = static_cast<uint32_t>(std::min(4294967295.0, p[s] * 4294967296.0));
      alias[s] = l;
      p[l] -= 1 - p[s];
      if (p[l] < 1) { large.pop_back(); small.push_back(l); }
    }
  }
  int draw(rng& r) const {
    uint64_t x = r.next_u64();
    uint32_t col = static_cast<uint32_t>(((x >> 32) * threshold.size()) >> 32);
    return static_cast<uint32_t>(x) < threshold[col] ? static_cast<int>(col) : alias[col];
  }
};

// The probability of keeping each word under subsampling (word2vec.c's formula), as a 24-bit threshold.
std::vector<uint32_t> keep_thresholds(const word2vec_corpus& c, double sample) {
  std::vector<uint32_t> t(c.counts.size(), 1u << 24);
  if (sample <= 0) return t;
  double threshold = sample * static_cast<double>(c.kept_words());
  for (size_t i = 0; i < t.size(); i++) {
    double f = static_cast<double>(c.counts[i]);
    double p = (std::sqrt(f / threshold) + 1) * threshold / f;
    if (p < 1) t[i] = static_cast<uint32_t>(p * (1u << 24));
  }
  return t;
}

struct shared_state {
  std::atomic<int64_t> kept_done{0};   // in-vocabulary words processed, all threads, all epochs
  int64_t kept_total = 0;
};

}  // namespace

status word2vec_train(const word2vec_corpus& corpus, const word2vec_config& cfg, word_vectors& out,
                      word2vec_progress* stats, const word2vec_progress_fn& progress) {
  PLUMA_TRY(word2vec_config_check(cfg));
  if (corpus.words.empty() || corpus.ids.empty()) return status::error("the corpus has no words to train on");
  const int V = static_cast<int>(corpus.words.size()), D = cfg.dim;
  std::vector<float> syn0(static_cast<size_t>(V) * D), syn1(static_cast<size_t>(V) * D, 0.0f);   // (V, D) each
  rng init(cfg.seed);
  for (float& x : syn0) x = (2 * init.uniform() - 1) / static_cast<float>(D);   // uniform in ±1/D, as gensim
  const negative_table neg(corpus.counts);
  const std::vector<uint32_t> keep = keep_thresholds(corpus, cfg.sample);
  const w2v::sigmoid_table sig;
  shared_state sh;
  sh.kept_total = corpus.kept_words() * cfg.epochs;
  const double raw_per_kept = static_cast<double>(corpus.raw_words) / static_cast<double>(corpus.kept_words());
  const int S = static_cast<int>(corpus.sentence_end.size());
  const int T = std::min(cfg.threads, S);
  auto t0 = std::chrono::steady_clock::now();
  auto make_progress = [&](int64_t kept_done, float alpha) {
    word2vec_progress p;
    p.words_total = corpus.raw_words * cfg.epochs;
    p.words_done = std::min<int64_t>(p.words_total, static_cast<int64_t>(kept_done * raw_per_kept));
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    p.words_per_s = p.seconds > 0 ? p.words_done / p.seconds : 0;
    p.eta_s = p.words_per_s > 0 ? (p.words_total - p.words_done) / p.words_per_s : 0;
    p.alpha = alpha;
    return p;
  };

#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    // This thread's sentences: an equal share of the words.
    auto first_at = [&](int share) {
      int64_t w = corpus.kept_words() * share / nt;
      return static_cast<int>(std::upper_bound(corpus.sentence_end.begin(), corpus.sentence_end.end(), w) -
                              corpus.sentence_end.begin());
    };
    const int s0 = t == 0 ? 0 : first_at(t), s1 = t == nt - 1 ? S : first_at(t + 1);
    rng r(cfg.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(t) + 1);
    std::vector<int32_t> sent;
    const int max_ctx = 2 * cfg.window, max_out = cfg.negative + 1;
    std::vector<float*> in(max_ctx), outp(max_out);
    std::vector<float> G(static_cast<size_t>(max_ctx) * max_out), scratch(static_cast<size_t>(max_ctx) * D + D);
    float alpha = cfg.alpha;
    int64_t local = 0;   // words since the last report to sh.kept_done
    auto last_report = std::chrono::steady_clock::now();
    for (int epoch = 0; epoch < cfg.epochs; epoch++) {
      for (int s = s0; s < s1; s++) {
        const int64_t b = s == 0 ? 0 : corpus.sentence_end[s - 1], e = corpus.sentence_end[s];
        sent.clear();
        for (int64_t k = b; k < e; k++) {
          int32_t w = corpus.ids[k];
          if (keep[w] >= (1u << 24) || keep[w] > (r.next_u64() >> 40)) sent.push_back(w);
        }
        const int n = static_cast<int>(sent.size());
        for (int pos = 0; pos < n; pos++) {
          const int reduce = static_cast<int>(r.next_u64() % static_cast<uint64_t>(cfg.window));
          const int lo = std::max(0, pos - cfg.window + reduce), hi = std::min(n - 1, pos + cfg.window - reduce);
          int m = 0;
          for (int c = lo; c <= hi; c++)
            if (c != pos) in[m++] = syn0.data() + static_cast<size_t>(sent[c]) * D;
          if (m == 0) continue;
          const int centre = sent[pos];
          int o = 0;
          outp[o++] = syn1.data() + static_cast<size_t>(centre) * D;
          for (int k = 0; k < cfg.negative; k++) {
            int w = neg.draw(r);
            if (w != centre) outp[o++] = syn1.data() + static_cast<size_t>(w) * D;
          }
          if (cfg.arch == word2vec_arch::skipgram)
            w2v::skipgram_window(in.data(), m, outp.data(), o, D, alpha, sig, G.data(), scratch.data());
          else
            w2v::cbow_window(in.data(), m, outp.data(), o, D, alpha, sig, scratch.data(), scratch.data() + D);
        }
        local += e - b;
        if (local >= 10000) {
          int64_t done = sh.kept_done.fetch_add(local) + local;
          local = 0;
          double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(sh.kept_total));
          alpha = std::max(cfg.min_alpha, static_cast<float>(cfg.alpha - (cfg.alpha - cfg.min_alpha) * frac));
          if (t == 0 && progress) {
            auto now = std::chrono::steady_clock::now();
            if (std::chrono::duration<double>(now - last_report).count() >= 0.5) {
              last_report = now;
              progress(make_progress(done, alpha));
            }
          }
        }
      }
    }
    sh.kept_done.fetch_add(local);
  }
  word2vec_progress fin = make_progress(sh.kept_done.load(), cfg.min_alpha);
  if (progress) progress(fin);
  if (stats) *stats = fin;
  out = word_vectors{};
  out.dim = D;
  out.words.reserve(V);
  out.data.reserve(static_cast<size_t>(V) * D);
  for (int i = 0; i < V; i++) out.add(corpus.words[i], syn0.data() + static_cast<size_t>(i) * D);
  return status::ok();
}

}  // namespace pluma
