#include "train/seq2seq_plugins.h"

#include <algorithm>

#include "generate/beam_search.h"
#include "generate/bleu.h"
#include "model/core/check.h"
#include "model/rnn/seq2seq_io.h"

namespace pluma {

status seq2seq_batch_source::create(const std::vector<encoded_pair>& pairs, int max_rows, uint64_t seed,
                                    std::unique_ptr<seq2seq_batch_source>& out) {
  auto s = std::unique_ptr<seq2seq_batch_source>(new seq2seq_batch_source());
  bucket_config bc;
  bc.max_sentences = max_rows;
  PLUMA_TRY(bucket_batcher::create(pairs, bc, seed, s->b_));
  s->max_rows_ = max_rows;
  s->note_epoch_size();
  out = std::move(s);
  return status::ok();
}

void seq2seq_batch_source::note_epoch_size() { n_in_epoch_ = std::max<size_t>(1, b_.batches_in_epoch()); }

bool seq2seq_batch_source::next(train_batch& out) {
  if (!b_.next(cur_)) {   // the epoch's end: the next epoch's first batch
    b_.next(cur_);
  }
  note_epoch_size();
  out = train_batch{};
  out.B = cur_.B, out.T = cur_.T, out.S = cur_.S;
  out.inputs = cur_.tgt_in.data();
  out.targets = cur_.tgt_out.data();
  out.src = cur_.src.data();
  out.src_len = cur_.src_len.data();
  out.tgt_len = cur_.tgt_len.data();
  return false;
}

double seq2seq_batch_source::epochs() const {
  const bucket_state s = b_.state();
  return double(s.epoch) + double(s.batch) / double(n_in_epoch_);
}

bool seq2seq_batch_source::epoch_done() const { return b_.state().batch >= n_in_epoch_; }

nlohmann::json seq2seq_batch_source::state() const {
  const bucket_state s = b_.state();
  return {{"epoch", s.epoch}, {"batch", s.batch}};
}

status seq2seq_batch_source::restore(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_unsigned() || !j.contains("batch") ||
      !j["batch"].is_number_unsigned())
    return status::error("the translator's batch position is malformed (expected {\"epoch\", \"batch\"})");
  bucket_state s;
  s.epoch = j["epoch"].get<uint64_t>();
  s.batch = j["batch"].get<size_t>();
  PLUMA_TRY(b_.set_state(s));
  note_epoch_size();
  return status::ok();
}

status seq2seq_evaluator::create(seq2seq_model& m, const std::vector<encoded_pair>& valid,
                                 const std::vector<std::string>& refs, const tokenizer& tgt_tok, int batch,
                                 int bleu_batch, uint64_t seed, std::unique_ptr<seq2seq_evaluator>& out) {
  auto e = std::unique_ptr<seq2seq_evaluator>(new seq2seq_evaluator(m, valid, refs, tgt_tok, bleu_batch));
  bucket_config bc;
  bc.max_sentences = batch;
  PLUMA_TRY(bucket_batcher::create(valid, bc, seed, e->batches_).with_context("validation pairs"));
  out = std::move(e);
  return status::ok();
}

eval_result seq2seq_evaluator::evaluate(communicator&) {
  PLUMA_CHECK(batches_.set_state(bucket_state{}).is_ok(), "seq2seq evaluator: cannot rewind the batches");
  seq2seq_batch b;
  seq2seq_loss sum;
  while (batches_.next(b)) {
    const seq2seq_loss l = m_.forward_loss(
        {b.B, b.S, b.T, b.src.data(), b.src_len.data(), b.tgt_in.data(), b.tgt_out.data()}, m_.label_smoothing());
    sum.nll += l.nll, sum.smoothed += l.smoothed, sum.tokens += l.tokens;
  }
  eval_result r;
  const double n = double(std::max(1L, sum.tokens));
  r.val_loss = float(sum.smoothed / n);
  r.val_nll = float(sum.nll / n);
  std::vector<std::vector<int>> srcs;
  for (const auto& p : valid_) srcs.push_back(p.src);
  decode_config dc;
  dc.beam = 1;
  std::vector<std::vector<translation>> out;
  translate_corpus(m_, srcs, dc, bleu_batch_, nullptr, out);
  std::vector<std::string> hyps;
  for (const auto& t : out) hyps.push_back(seq2seq_decode(tgt_tok_, t[0].tokens, m_.config().space_prefix));
  r.val_bleu = bleu_corpus(hyps, refs_).score;
  return r;
}

uint64_t seq2seq_evaluator::data_hash() const {
  uint64_t h = bytes_hash(nullptr, 0);
  for (const auto& p : valid_) {
    h = bytes_hash(p.src.data(), p.src.size() * sizeof(int), h);
    h = bytes_hash(p.tgt.data(), p.tgt.size() * sizeof(int), h);
  }
  return h;
}

}  // namespace pluma
