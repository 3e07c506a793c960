#include "train/batch_source.h"

namespace pluma {

lm_batch_source::lm_batch_source(batch_sampler& s) : s_(s) {
  const size_t n = static_cast<size_t>(s.batch()) * s.context();
  inputs_.resize(n);
  targets_.resize(n);
}

bool lm_batch_source::next(train_batch& out) {
  const bool fresh = s_.next(inputs_.data(), targets_.data());
  out = train_batch{};
  out.B = s_.batch();
  out.T = s_.context();
  out.inputs = inputs_.data();
  out.targets = targets_.data();
  return fresh;
}

}  // namespace pluma
