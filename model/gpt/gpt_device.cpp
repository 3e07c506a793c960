// Where the GPT runs: host memory for the CPU, device memory for the GPU (model/core/device_arena.h), and
// the copies between the host arenas params()/grads() and the device.
#include <string>

#include "model/core/check.h"
#include "model/gpt/gpt.h"

namespace pluma {

status gpt_model::set_device(const exec_context& ctx) {
  if (ctx.dev == device::cpu) {
    if (on_gpu()) {   // back to the host, with the latest weights and gradients
      params_to_host();
      grads_to_host();
    }
    ctx_ = ctx;
    dparams_ = device_arena();
    dgrads_ = device_arena();
    dacts_dev_ = device_arena();
    ddacts_dev_ = device_arena();
    dtokens_ = device_buffer();
    return status::ok();
  }
  if (lane_of_) return status::error("a lane of a GPT (make_lane) runs on the CPU only");
  std::string why;
  if (!cuda_available(why)) return status::error("no CUDA device: " + why);
  PLUMA_TRY(dparams_.resize(n_floats_, ctx).with_context("gpt parameters"));
  PLUMA_TRY(dgrads_.resize(n_floats_, ctx).with_context("gpt gradients"));
  ctx_ = ctx;
  params_to_device();
  return status::ok();
}

void gpt_model::params_to_device() {
  if (on_gpu()) dparams_.upload(ctx_, params());
}

void gpt_model::params_to_host() {
  if (on_gpu()) dparams_.download(ctx_, params());
}

void gpt_model::grads_to_device() {
  if (on_gpu()) dgrads_.upload(ctx_, grads());
}

void gpt_model::grads_to_host() {
  if (on_gpu()) dgrads_.download(ctx_, grads());
}

void gpt_model::zero_grads() {
  grads_discarded_ = false;
  if (on_gpu())
    dgrads_.zero(ctx_);
  else
    grads().zero();
}

void gpt_model::discard_grads() {
  if (on_gpu()) return zero_grads();   // one device memset
  grads().data();                      // allocated (zeroed) on first use, so the padding between tensors is zero
  grads_discarded_ = true;
}

std::unique_ptr<trainable> gpt_model::make_lane() {
  if (on_gpu()) return nullptr;
  auto lane = std::make_unique<gpt_model>(cfg_);
  lane->lane_of_ = lane_of_ ? lane_of_ : this;
  return lane;
}

float* gpt_model::param_block() { return on_gpu() ? dparams_.data() : params().data(); }

float* gpt_model::grad_block() { return on_gpu() ? dgrads_.data() : grads().data(); }

float* gpt_model::activation_block(arena& host, device_arena& dev, size_t need) {
  if (!on_gpu()) {
    if (host.size() < need) host.resize(need);
    return host.data();
  }
  if (dev.size() < need) {
    const status st = dev.resize(need, ctx_);
    PLUMA_CHECK(st.is_ok(), st.message().c_str());   // training_bytes() lets a caller check before
  }
  return dev.data();
}

void gpt_model::tokens_for_ops(const int* inputs, const int* targets, long BT, const int** in, const int** tg) {
  if (!on_gpu()) {
    *in = inputs;
    *tg = targets;
    return;
  }
  if (dtokens_.bytes() < sizeof(int) * 2 * BT) {
    const status st = dtokens_.allocate(sizeof(int) * 2 * BT);
    PLUMA_CHECK(st.is_ok(), st.message().c_str());
  }
  int* d = dtokens_.as<int>();
  device_copy_to(ctx_, d, inputs, sizeof(int) * BT);
  if (targets) device_copy_to(ctx_, d + BT, targets, sizeof(int) * BT);
  *in = d;
  *tg = targets ? d + BT : nullptr;
}

}  // namespace pluma
