#include "data/split.h"

#include <cmath>
#include <string>

namespace pluma {

status split_train_val(const std::vector<int>& ids, double val_fraction, std::vector<int>& train,
                       std::vector<int>& val) {
  train.clear();
  val.clear();
  if (!(val_fraction >= 0.0 && val_fraction < 1.0))
    return status::error("validation fraction " + std::to_string(val_fraction) +
                         " is outside [0, 1); use e.g. --val-fraction 0.1");
  const size_t n = ids.size();
  const size_t n_train = static_cast<size_t>(std::floor(static_cast<double>(n) * (1.0 - val_fraction)));
  if (n_train == 0)
    return status::error("a corpus of " + std::to_string(n) + " tokens leaves no training tokens after a " +
                         std::to_string(val_fraction) + " validation split; use more text");
  if (val_fraction > 0.0 && n_train == n)
    return status::error("a corpus of " + std::to_string(n) + " tokens leaves no validation tokens with fraction " +
                         std::to_string(val_fraction) + "; use more text or a larger --val-fraction");
  train.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n_train));
  val.assign(ids.begin() + static_cast<std::ptrdiff_t>(n_train), ids.end());
  return status::ok();
}

}  // namespace pluma
