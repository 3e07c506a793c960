#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

#include "model/ops/adamw.h"
#include "model/ops/tensor_util.h"

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

void optimizer::step(const exec_context& ctx, float* params, float* grads, float lr, float grad_scale) {
  steps_++;
  adamw_params hp;
  hp.lr = lr;
  hp.beta1 = cfg_.beta1;
  hp.beta2 = cfg_.beta2;
  hp.eps = cfg_.eps;
  hp.step = steps_;
  // adamw: decoupled decay of the parameter; adam: the L2 term joins the (clipped) gradient before the
  // moments see it
  adamw_params hp_decay = hp;
  hp_decay.weight_decay = cfg_.kind == optimizer_kind::adamw ? cfg_.weight_decay : 0.0f;
  hp_decay.l2 = cfg_.kind == optimizer_kind::adam ? cfg_.weight_decay : 0.0f;
  adamw_update_spans(ctx, params, grads, m_data(), v_data(), spans_, hp, hp_decay, grad_scale);
}

void optimizer::step(const exec_context& ctx, arena& params, arena& grads, float lr, float grad_scale) {
  step(ctx, params.data(), grads.data(), lr, grad_scale);
}

status optimizer::to_device(const exec_context& ctx) {
  if (ctx.dev == device::cpu) {
    moments_to_host();
    dm_ = device_arena();
    dv_ = device_arena();
    ctx_ = ctx;
    return status::ok();
  }
  PLUMA_TRY(dm_.resize(m_.size()).with_context("optimizer moments"));
  PLUMA_TRY(dv_.resize(v_.size()).with_context("optimizer moments"));
  ctx_ = ctx;
  moments_to_device();
  return status::ok();
}

void optimizer::moments_to_device() {
  if (ctx_.dev == device::cpu) return;
  dm_.upload(ctx_, m_);
  dv_.upload(ctx_, v_);
}

void optimizer::moments_to_host() {
  if (ctx_.dev == device::cpu) return;
  dm_.download(ctx_, m_);
  dv_.download(ctx_, v_);
}

float* optimizer::m_data() { return ctx_.dev == device::cpu ? m_.data() : dm_.data(); }
float* optimizer::v_data() { return ctx_.dev == device::cpu ? v_.data() : dv_.data(); }

double grad_global_norm(const float* g, size_t n) {
  return std::sqrt(tensor_sumsq(cpu_context(), g, static_cast<long>(n)));
}

float grad_clip_scale(double norm, float max_norm) {
  if (max_norm <= 0) return 1.0f;
  double c = max_norm / (norm + 1e-6);
  return c < 1.0 ? static_cast<float>(c) : 1.0f;
}

}  // namespace pluma
