#include "train/lr_schedule.h"

#include <cmath>
#include <string>

namespace pluma {

double lr_at(const lr_schedule& s, int it) {
  if (it < s.warmup_iters) return s.lr_max * (it + 1) / s.warmup_iters;
  if (s.kind != lr_schedule_kind::cosine) return s.lr_max;
  if (it >= s.decay_iters) return s.lr_min;
  double r = static_cast<double>(it - s.warmup_iters) / (s.decay_iters - s.warmup_iters);
  return s.lr_min + 0.5 * (1.0 + std::cos(M_PI * r)) * (s.lr_max - s.lr_min);
}

double lr_at(const lr_schedule& s, int it, const lr_plateau& p) {
  const double lr = lr_at(s, it);
  return s.kind == lr_schedule_kind::plateau ? lr * p.scale : lr;
}

void lr_plateau_update(const lr_schedule& s, lr_plateau& p, double val_loss) {
  if (s.kind != lr_schedule_kind::plateau) return;
  if (val_loss < p.best * (1.0 - 1e-4)) p.best = val_loss;
  else p.scale *= s.plateau_factor;
}

nlohmann::json lr_plateau_to_json(const lr_plateau& p) {
  return {{"scale", p.scale}, {"best", std::isfinite(p.best) ? nlohmann::json(p.best) : nlohmann::json(nullptr)}};
}

status lr_plateau_from_json(const nlohmann::json& j, lr_plateau& p) {
  if (!j.is_object() || !j.contains("scale") || !j["scale"].is_number() || !j.contains("best") ||
      !(j["best"].is_number() || j["best"].is_null()))
    return status::error("the learning-rate plateau state is malformed");
  p.scale = j["scale"].get<double>();
  p.best = j["best"].is_null() ? INFINITY : j["best"].get<double>();
  return status::ok();
}

const char* lr_schedule_kind_name(lr_schedule_kind k) {
  switch (k) {
    case lr_schedule_kind::constant: return "constant";
    case lr_schedule_kind::plateau: return "plateau";
    default: return "cosine";
  }
}

status lr_schedule_kind_parse(const std::string& name, lr_schedule_kind& out) {
  for (auto k : {lr_schedule_kind::cosine, lr_schedule_kind::constant, lr_schedule_kind::plateau})
    if (name == lr_schedule_kind_name(k)) {
      out = k;
      return status::ok();
    }
  return status::error("unknown learning-rate schedule '" + name + "' (expected cosine, constant or plateau)");
}

}  // namespace pluma
