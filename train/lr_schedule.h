// lr_schedule: the learning rate at each iteration. Linear warmup lr_max*(it+1)/warmup for it < warmup,
// then one of:
//   cosine:   from lr_max down to lr_min, reached at it = decay_iters and kept after it (the reference GPT's)
//   constant: lr_max
//   plateau:  lr_max * scale, where scale is multiplied by plateau_factor after every evaluation whose
//             validation loss is not below the best so far by a relative 1e-4 (patience 0: the translator's rule)
#pragma once
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "model/core/status.h"

namespace pluma {

enum class lr_schedule_kind { cosine, constant, plateau };

struct lr_schedule {
  lr_schedule_kind kind = lr_schedule_kind::cosine;
  double lr_max = 1e-3;
  double lr_min = 1e-4;      // cosine only
  int warmup_iters = 100;
  int decay_iters = 2000;    // cosine only: the iteration at which lr_min is reached
  double plateau_factor = 0.5;   // plateau only: in (0, 1]
};

// The plateau rule's state (a checkpoint carries it).
struct lr_plateau {
  double scale = 1;
  double best = INFINITY;   // the best validation loss so far
};

// it: 0-based iteration about to be taken
double lr_at(const lr_schedule& s, int it);
double lr_at(const lr_schedule& s, int it, const lr_plateau& p);
// After an evaluation: the plateau rule (nothing for the other kinds).
void lr_plateau_update(const lr_schedule& s, lr_plateau& p, double val_loss);
nlohmann::json lr_plateau_to_json(const lr_plateau& p);
status lr_plateau_from_json(const nlohmann::json& j, lr_plateau& p);

const char* lr_schedule_kind_name(lr_schedule_kind k);   // "cosine", "constant", "plateau"
status lr_schedule_kind_parse(const std::string& name, lr_schedule_kind& out);

}  // namespace pluma
