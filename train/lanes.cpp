#include "train/lanes.h"

#include <algorithm>

#include "model/core/check.h"
#include "model/ops/lanes.h"

namespace pluma {

lane_set::lane_set(trainable& model, int n) : model_(model) {
  n = std::clamp(n, 1, lanes_max());
  for (int k = 1; k < n; k++) {
    std::unique_ptr<trainable> lane = model.make_lane();
    if (!lane) break;
    others_.push_back(std::move(lane));
  }
  written_.assign(count(), 0);
}

void lane_set::begin_step() {
  std::fill(written_.begin(), written_.end(), 0);
  model_.discard_grads();
}

float lane_set::forward_backward(const train_batch& b, float grad_scale, rng& dropout_rng) {
  if (b.B == 0) return 0.0f;
  const int n = count();
  if (n == 1 || b.B < n) {   // the model alone, on every thread
    written_[0] = true;
    return model_.batch_forward_backward(b, grad_scale, dropout_rng);
  }
  const long scored = b.scored(0, b.B);
  std::vector<rng> streams;
  for (int k = 0; k < n; k++) streams.emplace_back(dropout_rng.peek_u64(k));
  std::vector<double> losses(n, 0.0), weights(n, 0.0);
  lanes_run(n, [&](int k) {
    trainable& lane = k == 0 ? model_ : *others_[k - 1];
    const int first = int(long(b.B) * k / n), rows = int(long(b.B) * (k + 1) / n) - first;
    const train_batch part = b.rows(first, rows);
    // this lane's share of the batch's mean
    weights[k] = scored > 0 ? double(part.scored(0, rows)) / double(scored) : 0.0;
    if (!written_[k] && k > 0) lane.discard_grads();
    losses[k] = lane.batch_forward_backward(part, float(grad_scale * weights[k]), streams[k]);
    written_[k] = true;
  });
  bool drew = false;
  for (int k = 0; k < n; k++) drew = drew || streams[k].state != rng(dropout_rng.peek_u64(k)).state;
  if (drew) dropout_rng.discard(n);
  double loss = 0;
  for (int k = 0; k < n; k++) loss += weights[k] * losses[k];
  return float(loss);
}

void lane_set::end_step() {
  std::vector<const float*> add;
  for (size_t k = 1; k < written_.size(); k++)
    if (written_[k]) add.push_back(others_[k - 1]->grads().data());
  if (add.empty()) return;
  PLUMA_CHECK(written_[0], "lanes: lane 0 computes whenever another lane does");
  lanes_sum_into(model_.grads().data(), add, long(model_.grads().size()));
}

}  // namespace pluma
