#include "train/lr_schedule.h"

#include <cmath>
#include <string>

namespace pluma {

double lr_at(const lr_schedule& s, int it) {
  if (it < s.warmup_iters) return s.lr_max * (it + 1) / s.warmup_iters;
  if (s.kind == lr_schedule_kind::constant) return s.lr_max;
  if (it >= s.decay_iters) return s.lr_min;
  double r = static_cast<double>(it - s.warmup_iters) / (s.decay_iters - s.warmup_iters);
  return s.lr_min + 0.5 * (1.0 + std::cos(M_PI * r)) * (s.lr_max - s.lr_min);
}

const char* lr_schedule_kind_name(lr_schedule_kind k) {
  return k == lr_schedule_kind::constant ? "constant" : "cosine";
}

status lr_schedule_kind_parse(const std::string& name, lr_schedule_kind& out) {
  if (name == "cosine") out = lr_schedule_kind::cosine;
  else if (name == "constant") out = lr_schedule_kind::constant;
  else return status::error("unknown learning-rate schedule '" + name + "' (expected cosine or constant)");
  return status::ok();
}

}  // namespace pluma
