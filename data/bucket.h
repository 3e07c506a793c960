// bucket: length-bucketed, padded batches of encoded sentence pairs for sequence-to-sequence training.
// Each epoch: the pairs are shuffled, sorted by source length (ties stay shuffled), cut into batches of
// at most max_sentences pairs (and, if set, at most max_tokens padded tokens), and the batches shuffled.
// The plan of an epoch depends only on (seed, epoch), so the state {epoch, batch} resumes exactly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/core/status.h"

namespace pluma {

struct encoded_pair {
  std::vector<int> src;   // source ids, no <sos>/<eos>
  std::vector<int> tgt;   // target ids, no <sos>/<eos>
};

struct bucket_config {
  int max_sentences = 64;   // rows per batch at most
  int max_tokens = 0;       // 0: no budget; else B*(S+T) <= max_tokens (a pair larger than that gets a batch alone)
};

// One padded batch. Padding is pad_id; masks are 1 on real positions and 0 on padding.
struct seq2seq_batch {
  int B = 0, S = 0, T = 0;
  std::vector<int32_t> src;          // (B, S) source ids, then pad_id
  std::vector<int32_t> src_len;      // (B) real source tokens
  std::vector<float> src_mask;       // (B, S)
  std::vector<int32_t> tgt_in;       // (B, T) sos_id, target ids, then pad_id
  std::vector<int32_t> tgt_out;      // (B, T) target ids, eos_id, then pad_id
  std::vector<int32_t> tgt_len;      // (B) target ids + 1 (real positions of tgt_in and tgt_out)
  std::vector<float> tgt_mask;       // (B, T)
  std::vector<size_t> pair_index;    // (B) index of each row's pair in the corpus
};

struct bucket_state {
  uint64_t epoch = 0;
  size_t batch = 0;   // next batch inside the epoch
};

class bucket_batcher {
 public:
  // `pairs` must outlive the batcher. Errors: no pairs, a pair with an empty source, a bad config.
  static status create(const std::vector<encoded_pair>& pairs, const bucket_config& cfg, uint64_t seed,
                       bucket_batcher& out);

  // Fills `out` with the next batch and returns true; at the end of an epoch returns false (out untouched)
  // and moves to the next epoch, whose first batch the following call returns.
  bool next(seq2seq_batch& out);

  size_t batches_in_epoch();   // of the current epoch
  bucket_state state() const { return state_; }
  status set_state(const bucket_state& s);

 private:
  void plan_epoch();   // plan_ <- the batches of state_.epoch

  const std::vector<encoded_pair>* pairs_ = nullptr;
  bucket_config cfg_;
  uint64_t seed_ = 0;
  bucket_state state_;
  uint64_t planned_epoch_ = UINT64_MAX;           // the epoch plan_ holds
  std::vector<std::vector<size_t>> plan_;         // batches of pair indices
};

}  // namespace pluma
