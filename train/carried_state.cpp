#include "train/carried_state.h"

#include <algorithm>
#include <cstring>

namespace pluma {

namespace {

// under checkpoint_training_prefix: sampling does not load them
const std::string state_h_name = std::string(checkpoint_training_prefix) + "state.h";
const std::string state_c_name = std::string(checkpoint_training_prefix) + "state.c";

// Copies rows [r0, r0+n) of every layer between the global state (L, B, H) and a micro-batch's (L, n, H).
void copy_rows(float* dst, int dst_rows, int dst_r0, const float* src, int src_rows, int src_r0, int L, int n,
               int H) {
  for (int l = 0; l < L; l++)
    std::memcpy(dst + (static_cast<size_t>(l) * dst_rows + dst_r0) * H,
                src + (static_cast<size_t>(l) * src_rows + src_r0) * H, static_cast<size_t>(n) * H * sizeof(float));
}

}  // namespace

carried_state::carried_state(trainable& model, int B) : lstm_(dynamic_cast<lstm_lm*>(&model)), B_(B) {
  if (!lstm_) return;
  L_ = lstm_->config().layers;
  H_ = lstm_->config().hidden;
}

bool carried_state::carries() const { return lstm_ && lstm_->config().carry_state; }

size_t carried_state::row_block() const { return static_cast<size_t>(B_) * H_; }

void carried_state::load(int r0, int n) {
  if (!lstm_) return;
  if (zero_) {
    lstm_->reset_state();
    return;
  }
  const size_t m = static_cast<size_t>(L_) * n * H_;
  mh_.resize(m);
  mc_.resize(m);
  copy_rows(mh_.data(), n, 0, h_.data(), B_, r0, L_, n, H_);
  copy_rows(mc_.data(), n, 0, c_.data(), B_, r0, L_, n, H_);
  lstm_->set_state(mh_.data(), mc_.data(), n);
}

void carried_state::store(int r0, int n) {
  if (!lstm_) return;
  const bool carried = lstm_->state_batch() == n;   // false: the model was built without carry_state
  if (zero_ && !carried) return;
  if (zero_) {   // the other micro-batches' rows start from zeros too
    h_.assign(L_ * row_block(), 0.0f);
    c_.assign(L_ * row_block(), 0.0f);
    zero_ = false;
  }
  if (!carried) {
    for (int l = 0; l < L_; l++) {
      std::fill_n(h_.data() + l * row_block() + static_cast<size_t>(r0) * H_, static_cast<size_t>(n) * H_, 0.0f);
      std::fill_n(c_.data() + l * row_block() + static_cast<size_t>(r0) * H_, static_cast<size_t>(n) * H_, 0.0f);
    }
    return;
  }
  lstm_->get_state(mh_, mc_);
  copy_rows(h_.data(), B_, r0, mh_.data(), n, 0, L_, n, H_);
  copy_rows(c_.data(), B_, r0, mc_.data(), n, 0, L_, n, H_);
}

carried_state::snapshot carried_state::save() const {
  snapshot s;
  s.zero = zero_ || !lstm_;
  if (!s.zero) {
    s.h = h_;
    s.c = c_;
  }
  return s;
}

void carried_state::put(checkpoint& ck, const snapshot& s) const {
  if (!lstm_ || s.zero) return;
  const std::vector<int64_t> shape = {L_, B_, H_};
  ck.add_f32(state_h_name, shape, s.h.data());
  ck.add_f32(state_c_name, shape, s.c.data());
}

status carried_state::restore(const checkpoint& ck) {
  const checkpoint_tensor* h = ck.find(state_h_name);
  const checkpoint_tensor* c = ck.find(state_c_name);
  zero_ = true;
  if (!lstm_ || (!h && !c)) return status::ok();
  const std::vector<int64_t> shape = {L_, B_, H_};
  const size_t n = L_ * row_block();
  for (const checkpoint_tensor* t : {h, c}) {
    if (!t) return status::error("the checkpoint holds only half of the carried LSTM state (h or c is missing)");
    if (t->dtype != tensor_dtype::f32 || t->shape != shape || t->bytes.size() != n * sizeof(float))
      return status::error("the carried LSTM state '" + t->name + "' in the checkpoint is not (layers " +
                           std::to_string(L_) + ", batch " + std::to_string(B_) + ", hidden " + std::to_string(H_) +
                           "); resume with the checkpoint's --batch");
  }
  h_.assign(h->f32(), h->f32() + n);
  c_.assign(c->f32(), c->f32() + n);
  zero_ = false;
  return status::ok();
}

void carried_state::share(communicator& comm, int r0, int n) {
  if (!lstm_ || zero_ || comm.size() == 1) return;
  for (int l = 0; l < L_; l++)
    for (int b = 0; b < B_; b++) {
      if (b >= r0 && b < r0 + n) continue;
      std::fill_n(h_.data() + l * row_block() + static_cast<size_t>(b) * H_, H_, 0.0f);
      std::fill_n(c_.data() + l * row_block() + static_cast<size_t>(b) * H_, H_, 0.0f);
    }
  comm.allreduce_sum(h_.data(), h_.size());
  comm.allreduce_sum(c_.data(), c_.size());
}

}  // namespace pluma
