#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

#include "model/ops/adamw.h"

namespace pluma {

const char* optimizer_kind_name(optimizer_kind k) { return k == optimizer_kind::adam ? "adam" : "adamw"; }

status optimizer_kind_parse(const std::string& name, optimizer_kind& out) {
  if (name == "adamw") out = optimizer_kind::adamw;
  else if (name == "adam") out = optimizer_kind::adam;
  else return status::error("unknown optimizer '" + name + "' (expected adamw or adam)");
  return status::ok();
}

optimizer::optimizer(const optimizer_config& cfg, const std::vector<tensor_spec>& specs, size_t n_floats)
    : cfg_(cfg), m_(n_floats), v_(n_floats) {
  // The padding between tensors is zero in every arena and stays zero under the update, so a span may
  // run over it.
  for (const auto& t : specs) {
    size_t end = t.offset + t.numel();
    if (!spans_.empty() && spans_.back().decay == t.decay && spans_.back().offset + spans_.back().n <= t.offset)
      spans_.back().n = end - spans_.back().offset;
    else
      spans_.push_back({t.offset, t.numel(), t.decay});
  }
}

void optimizer::step(const exec_context& ctx, arena& params, arena& grads, float lr, float grad_scale) {
  steps_++;
  for (const auto& s : spans_) {
    float wd = s.decay ? cfg_.weight_decay : 0.0f;
    float* p = params.data() + s.offset;   // (n)
    float* g = grads.data() + s.offset;    // (n)
    float scale = grad_scale;
    if (cfg_.kind == optimizer_kind::adam && wd != 0.0f) {
      // classic Adam: the L2 term joins the (clipped) gradient before the moments see it
#pragma omp parallel for schedule(static) if (s.n > 32768)
      for (long i = 0; i < static_cast<long>(s.n); i++) g[i] = g[i] * grad_scale + wd * p[i];
      scale = 1.0f;
      wd = 0.0f;
    }
    adamw_params hp;
    hp.lr = lr;
    hp.beta1 = cfg_.beta1;
    hp.beta2 = cfg_.beta2;
    hp.eps = cfg_.eps;
    hp.weight_decay = cfg_.kind == optimizer_kind::adamw ? wd : 0.0f;
    hp.step = steps_;
    adamw_update(ctx, p, g, m_.data() + s.offset, v_.data() + s.offset, s.n, hp, scale);
  }
}

double grad_global_norm(const float* g, size_t n) {
  constexpr size_t block = 8192;
  const long nblocks = static_cast<long>((n + block - 1) / block);
  std::vector<double> partial(nblocks);
#pragma omp parallel for schedule(static) if (nblocks > 4)
  for (long b = 0; b < nblocks; b++) {
    size_t lo = b * block, hi = std::min(n, lo + block);
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = lo;
    for (; i + 8 <= hi; i += 8)
      for (int j = 0; j < 8; j++) acc[j] += static_cast<double>(g[i + j]) * g[i + j];
    for (; i < hi; i++) acc[0] += static_cast<double>(g[i]) * g[i];
    partial[b] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  }
  double sum = 0;
  for (double p : partial) sum += p;
  return std::sqrt(sum);
}

float grad_clip_scale(double norm, float max_norm) {
  if (max_norm <= 0) return 1.0f;
  double c = max_norm / (norm + 1e-6);
  return c < 1.0 ? static_cast<float>(c) : 1.0f;
}

}  // namespace pluma
