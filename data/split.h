// split: train / validation split of a token sequence. The LAST fraction is validation, so the
// validation text is one contiguous piece the model never saw (as nanoGPT does).
#pragma once
#include <vector>

#include "model/core/status.h"

namespace pluma {

// train <- ids[0, n_train), val <- ids[n_train, N) with n_train = floor(N * (1 - val_fraction)).
// Errors: val_fraction outside [0, 1); a split that leaves the training part empty, or the
// validation part empty while val_fraction > 0.
status split_train_val(const std::vector<int>& ids, double val_fraction, std::vector<int>& train,
                       std::vector<int>& val);

}  // namespace pluma
