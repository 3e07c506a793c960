// decode_weights: the weights a model's decoding states read (packed matrices and the like), made for each new
// state or, while the caller has frozen the parameters for decoding (lm_model::share_decoding_weights), made
// once and shared by every state. A state holds its weights by shared_ptr, so turning sharing off (or a new
// precision) never pulls them from under a state still decoding.
#pragma once
#include <memory>
#include <utility>

namespace pluma {

// W: the weights of one state, with `bool bf16() const` (the precision they were made in). Not locked: callers
// serialize decode_begin and share_decoding_weights on a model (pluma serve's locked_model does).
template <class W>
class decode_weights_cache {
 public:
  void share(bool on) {
    on_ = on;
    if (!on) kept_.reset();
  }
  bool shared() const { return on_; }
  // The weights for a new state: the kept ones when sharing and made in precision bf16; else make()'s (a
  // std::shared_ptr<const W>), kept when sharing.
  template <class Make>
  std::shared_ptr<const W> get(bool bf16, Make&& make) {
    if (on_ && kept_ && kept_->bf16() == bf16) return kept_;
    std::shared_ptr<const W> w = std::forward<Make>(make)();
    if (on_) kept_ = w;
    return w;
  }

 private:
  bool on_ = false;
  std::shared_ptr<const W> kept_;
};

}  // namespace pluma
