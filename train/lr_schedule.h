// lr_schedule: the learning rate at each iteration. Linear warmup lr_max*(it+1)/warmup for it < warmup,
// then either constant lr_max or a cosine from lr_max down to lr_min, reached at it = decay_iters
// and kept after it (the recipe of the reference char-level GPT).
#pragma once
#include <string>

#include "model/core/status.h"

namespace pluma {

enum class lr_schedule_kind { cosine, constant };

struct lr_schedule {
  lr_schedule_kind kind = lr_schedule_kind::cosine;
  double lr_max = 1e-3;
  double lr_min = 1e-4;      // cosine only
  int warmup_iters = 100;
  int decay_iters = 2000;    // cosine only: the iteration at which lr_min is reached
};

// it: 0-based iteration about to be taken
double lr_at(const lr_schedule& s, int it);

const char* lr_schedule_kind_name(lr_schedule_kind k);   // "cosine", "constant"
status lr_schedule_kind_parse(const std::string& name, lr_schedule_kind& out);

}  // namespace pluma
