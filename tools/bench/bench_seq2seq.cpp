// bench_seq2seq: speed of a seq2seq training step (forward + backward, no optimizer) and of greedy / beam
// decoding at the Multi30k recipe's sizes, on synthetic length-bucketed batches. Checks that the loss is
// finite and that greedy equals beam 1 before timing.
//   bench_seq2seq [steps=20] [B=64]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "generate/beam_search.h"
#include "model/rnn/seq2seq.h"
#include "tokenizer/tokenizer.h"

using namespace pluma;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct batch {
  int B, S, T;
  std::vector<int> src, src_len, tgt_in, tgt_out;
  long tokens = 0;
};

// Source lengths within a bucket [s0, s0 + 2], target lengths around 1.1x the source (as Multi30k en-de).
batch make_batch(int B, int s0, int V, rng& g) {
  batch b{B, 0, 0, {}, {}, {}, {}, 0};
  std::vector<int> tl(B);
  for (int i = 0; i < B; i++) {
    b.src_len.push_back(s0 + int(g.below(3)));
    tl[i] = std::max(1, int(1.1 * b.src_len[i]) + int(g.below(7)) - 3);
  }
  b.S = *std::max_element(b.src_len.begin(), b.src_len.end());
  b.T = *std::max_element(tl.begin(), tl.end()) + 1;
  b.src.assign(size_t(B) * b.S, pad_id);
  b.tgt_in.assign(size_t(B) * b.T, pad_id);
  b.tgt_out.assign(size_t(B) * b.T, pad_id);
  for (int i = 0; i < B; i++) {
    for (int s = 0; s < b.src_len[i]; s++) b.src[size_t(i) * b.S + s] = 4 + int(g.below(V - 4));
    b.tgt_in[size_t(i) * b.T] = sos_id;
    for (int t = 0; t < tl[i]; t++) {
      const int id = 4 + int(g.below(V - 4));
      b.tgt_in[size_t(i) * b.T + t + 1] = id;
      b.tgt_out[size_t(i) * b.T + t] = id;
    }
    b.tgt_out[size_t(i) * b.T + tl[i]] = eos_id;
    b.tokens += tl[i] + 1;
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 20;
  const int B = argc > 2 ? std::atoi(argv[2]) : 64;
  seq2seq_config cfg;
  cfg.src_vocab_size = cfg.vocab_size = 8000;
  seq2seq_model m(cfg);
  m.init_params(1);
  rng g(2), drop(3);
  std::printf("seq2seq %zu params; B=%d, source lengths 8..26 in buckets of 3\n", m.num_params(), B);
  std::vector<batch> batches;
  for (int i = 0; i < steps; i++) batches.push_back(make_batch(B, 8 + 3 * (i % 7), cfg.vocab_size, g));
  m.grads().zero();
  const float l0 = m.forward_backward({batches[0].B, batches[0].S, batches[0].T, batches[0].src.data(),
                                       batches[0].src_len.data(), batches[0].tgt_in.data(), batches[0].tgt_out.data()},
                                      0.1f, 1.0f, drop);
  if (!std::isfinite(l0)) {
    std::printf("loss is not finite\n");
    return 1;
  }
  long tokens = 0;
  const double t0 = now();
  for (const batch& b : batches) {
    m.forward_backward({b.B, b.S, b.T, b.src.data(), b.src_len.data(), b.tgt_in.data(), b.tgt_out.data()}, 0.1f, 1.0f,
                       drop);
    tokens += b.tokens;
  }
  const double dt = now() - t0;
  std::printf("train step (forward+backward): %.1f ms/batch, %.0f target tokens/s\n", 1e3 * dt / steps, tokens / dt);

  std::vector<std::vector<int>> srcs;
  for (int i = 0; i < 256; i++) {
    std::vector<int> s(6 + int(g.below(20)));
    for (auto& x : s) x = 4 + int(g.below(cfg.src_vocab_size - 4));
    srcs.push_back(s);
  }
  decode_config dc;
  dc.beam = 1;
  std::vector<std::vector<translation>> out, out1;
  greedy_search(m, {srcs.begin(), srcs.begin() + 16}, dc, out);
  beam_search(m, {srcs.begin(), srcs.begin() + 16}, dc, out1);
  for (int i = 0; i < 16; i++)
    if (out[i][0].tokens != out1[i][0].tokens) {
      std::printf("greedy differs from beam 1\n");
      return 1;
    }
  double t1 = now();
  translate_corpus(m, srcs, dc, 128, nullptr, out);
  std::printf("greedy, batches of 128: %.1f sentences/s\n", srcs.size() / (now() - t1));
  dc.beam = 5;
  t1 = now();
  translate_corpus(m, srcs, dc, 32, nullptr, out);
  std::printf("beam 5, batches of 32: %.1f sentences/s (untrained model: outputs run to the length limit)\n",
              srcs.size() / (now() - t1));
  return 0;
}
