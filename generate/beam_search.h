// beam_search: translation with a seq2seq model: beam search with length normalization, greedy decoding
// (the same result as a beam of 1, faster), and sampling through the sampler chain; each batched over
// sentences. Hypotheses end at <eos> or at the sentence's length limit.
//
// Beam search, per sentence with K beams: each step takes the 2K best one-token expansions of the live
// beams (sum of log-probabilities); an <eos> among the best K finishes a hypothesis with score
// logprob / len^alpha (len counts the <eos>); the best K others stay live. A sentence is done when it has K
// finished hypotheses, or at its length limit, where all live beams finish with logprob / len^alpha.
// Ties go to the lower (beam, token) index. The result is the finished hypotheses, best score first.
#pragma once
#include <vector>

#include "generate/sampler.h"
#include "model/core/status.h"
#include "model/rnn/seq2seq.h"

namespace pluma {

struct decode_config {
  int beam = 5;                // K; 1 is greedy
  int n_best = 1;              // hypotheses returned per sentence, in [1, beam]
  float length_alpha = 0.6f;   // score = logprob / len^alpha
  float max_len_ratio = 2.0f;  // a sentence's length limit: min(max_len_cap, ratio * source tokens + max_len_extra)
  int max_len_extra = 10;
  int max_len_cap = 250;
  bool keep_attention = false; // fill translation::attention
};

// ok, or an error naming the bad field and its valid range.
status decode_config_validate(const decode_config& cfg);
// The length limit of a source of src_len tokens (at least 1).
int decode_max_len(const decode_config& cfg, int src_len);

struct translation {
  std::vector<int> tokens;        // target ids, without <eos>
  float score = 0.0f;             // logprob / len^alpha
  float logprob = 0.0f;           // summed log-probabilities of the tokens (and of <eos> when finished)
  bool finished = false;          // ended with <eos> (false: stopped at the length limit)
  int src_len = 0;                // source positions the attention rows cover
  std::vector<float> attention;   // (steps, src_len) attention weights of each step, when kept
};

// Translates the sources (ids without <sos>/<eos>; an empty source is read as one <unk>) as one batch.
// out[i]: the n-best hypotheses of srcs[i], best first. cfg must pass decode_config_validate.
void beam_search(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                 std::vector<std::vector<translation>>& out);
// Greedy decoding (argmax of the log-probabilities, ties to the lower id) of each source: one hypothesis each, scored as a beam
// of 1 would score it (beam_search with beam 1 returns the same).
void greedy_search(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                   std::vector<std::vector<translation>>& out);
// Sampling: each step's token is drawn by the sampler (its chain and generator, row by row in order).
void sample_search(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                   sampler& s, std::vector<std::vector<translation>>& out);

// A whole corpus: sorted by source length, cut into batches of batch_size sentences, each decoded with beam
// search (greedy when cfg.beam == 1, sampling when s is non-null); out[i] belongs to srcs[i].
void translate_corpus(seq2seq_model& m, const std::vector<std::vector<int>>& srcs, const decode_config& cfg,
                      int batch_size, sampler* s, std::vector<std::vector<translation>>& out);

}  // namespace pluma
