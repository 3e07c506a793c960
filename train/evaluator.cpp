#include "train/evaluator.h"

namespace pluma {

const char* keep_best_kind_name(keep_best_kind k) {
  switch (k) {
    case keep_best_kind::val_loss: return "val_loss";
    case keep_best_kind::bleu: return "bleu";
    default: return "none";
  }
}

status keep_best_kind_parse(const std::string& name, keep_best_kind& out) {
  for (auto k : {keep_best_kind::none, keep_best_kind::val_loss, keep_best_kind::bleu})
    if (name == keep_best_kind_name(k)) {
      out = k;
      return status::ok();
    }
  return status::error("unknown --keep-best '" + name + "' (expected none, val_loss or bleu)");
}

float lm_evaluator::loss(const fixed_batches& fb, communicator& comm) {
  // The ranks' means (over as many rows each) are averaged.
  const batch_slice rows = batch_slice_of(fb.B, comm.rank(), comm.size());
  int micro = rows.count % grad_accum_ == 0 ? rows.count / grad_accum_ : rows.count;
  if (micro % lanes_ == 0) micro /= lanes_;
  double sum = 0;
  int n = 0;
  for (int i = 0; i < fb.count; i++)
    for (int r = rows.first; r < rows.first + rows.count; r += micro, n++) {
      size_t off = static_cast<size_t>(r) * fb.T;
      sum += m_.forward_loss(fb.inputs_of(i) + off, fb.targets_of(i) + off, micro, fb.T);
    }
  float mean = n ? static_cast<float>(sum / n) : 0.0f;
  comm.allreduce_mean(&mean, 1);
  return mean;
}

eval_result lm_evaluator::evaluate(communicator& comm) {
  eval_result r;
  r.train_loss = loss(train_, comm);
  r.val_loss = loss(val_, comm);
  return r;
}

uint64_t lm_evaluator::data_hash() const {
  uint64_t h = bytes_hash(train_.inputs.data(), train_.inputs.size() * sizeof(int));
  return bytes_hash(val_.inputs.data(), val_.inputs.size() * sizeof(int), h);
}

}  // namespace pluma
