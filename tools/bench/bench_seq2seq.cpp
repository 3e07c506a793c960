// bench_seq2seq: speed of a seq2seq training step (forward + backward + Adam) at the Multi30k recipe's sizes on
// real Multi30k en-de batches (joint BPE 8000, length-bucketed batches of 64, as the PyTorch reference), and of
// greedy / beam-5 decoding of the validation sources. Checks that the loss is finite and falls, and that
// greedy equals beam 1, before reporting.
//   bench_seq2seq [steps=30]        (OMP_NUM_THREADS sets the threads)
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "data/bucket.h"
#include "data/parallel.h"
#include "generate/beam_search.h"
#include "model/core/exec.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/adamw.h"
#include "model/rnn/seq2seq.h"
#include "tokenizer/corpus_path.h"
#include "tokenizer/tokenizer.h"

using namespace pluma;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "bench_seq2seq: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 30;
  std::string paths[4];
  const char* names[4] = {"multi30k/train.en", "multi30k/train.de", "multi30k/val.en", "multi30k/val.de"};
  for (int i = 0; i < 4; i++)
    if (status st = corpus_resolve(names[i], paths[i]); !st) return fail(st.message());
  std::vector<sentence_pair> train, val;
  if (status st = parallel_read_files(paths[0], paths[1], train); !st) return fail(st.message());
  if (status st = parallel_read_files(paths[2], paths[3], val); !st) return fail(st.message());
  tokenizer_train_config tc;
  tc.kind = tokenizer_kind::bpe;
  tc.vocab_size = 8000;
  tc.inputs = {paths[0], paths[1]};
  std::unique_ptr<tokenizer> tok;
  if (status st = tokenizer_train(tc, tok); !st) return fail(st.message());
  std::vector<encoded_pair> pairs;
  for (const auto& p : train) pairs.push_back({tok->encode(p.src), tok->encode(p.tgt)});

  seq2seq_config cfg;
  cfg.src_vocab_size = cfg.vocab_size = tok->vocab_size();
  seq2seq_model m(cfg);
  m.init_params(1);
  arena adam_m(m.params().size()), adam_v(m.params().size());
  adamw_params hp;
  hp.lr = 1e-3f, hp.beta2 = 0.999f, hp.weight_decay = 0.0f;
  bucket_batcher batches;
  if (status st = bucket_batcher::create(pairs, {}, 1234, batches); !st) return fail(st.message());
  std::printf("seq2seq %zu params, Multi30k en-de, joint BPE %d, batches of 64, %d threads\n", m.num_params(),
              tok->vocab_size(), omp_get_max_threads());
  rng drop(3);
  seq2seq_batch b;
  long tokens = 0, positions = 0;
  double t_train = 0, first_loss = 0, last_loss = 0;
  for (int i = 0; i < steps + 2; i++) {   // the first two batches warm up (primitive creation, allocation)
    batches.next(b);
    const double t0 = now();
    m.grads().zero();
    const float loss = m.forward_backward({b.B, b.S, b.T, b.src.data(), b.src_len.data(), b.tgt_in.data(),
                                           b.tgt_out.data()},
                                          0.1f, 1.0f, drop);
    hp.step = i + 1;
    adamw_update(cpu_context(), m.params().data(), m.grads().data(), adam_m.data(), adam_v.data(),
                 m.params().size(), hp, 1.0f);
    if (!std::isfinite(loss)) return fail("the loss is not finite");
    if (i == 0) first_loss = loss;
    last_loss = loss;
    if (i < 2) continue;
    t_train += now() - t0;
    for (int r = 0; r < b.B; r++) tokens += b.tgt_len[r];
    positions += long(b.B) * b.T;
  }
  std::printf("train step (forward, backward, Adam): %.1f ms/batch, %.0f target tokens/s "
              "(%.0f%% of the padded positions are real); loss %.2f -> %.2f\n",
              1e3 * t_train / steps, tokens / t_train, 100.0 * tokens / positions, first_loss, last_loss);
  std::printf("oneDNN GEMM primitives created: %zu\n", cpu::gemm_primitive_count());
  if (!(last_loss < first_loss)) return fail("the loss did not fall");

  std::vector<std::vector<int>> srcs;
  for (size_t i = 0; i < 256 && i < val.size(); i++) srcs.push_back(tok->encode(val[i].src));
  decode_config dc;
  dc.beam = 1;
  std::vector<std::vector<translation>> out, out1;
  greedy_search(m, {srcs.begin(), srcs.begin() + 16}, dc, out);
  beam_search(m, {srcs.begin(), srcs.begin() + 16}, dc, out1);
  for (int i = 0; i < 16; i++)
    if (out[i][0].tokens != out1[i][0].tokens) return fail("greedy differs from beam 1");
  double t1 = now();
  translate_corpus(m, srcs, dc, 128, nullptr, out);
  std::printf("greedy, batches of 128: %.1f sentences/s", srcs.size() / (now() - t1));
  dc.beam = 5;
  t1 = now();
  translate_corpus(m, srcs, dc, 32, nullptr, out);
  std::printf("; beam 5, batches of 32: %.1f sentences/s (a barely trained model: long outputs)\n",
              srcs.size() / (now() - t1));
  return 0;
}
