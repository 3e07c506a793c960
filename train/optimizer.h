// optimizer: Adam(W) over the model's parameter arena, with the moments m and v in arenas carved by the same
// size table, and clipping by the global gradient norm.
//   adamw: decoupled weight decay (param -= lr * wd * param), only on tensors marked tensor_spec::decay
//          (matrices and embeddings; none on biases and LayerNorm), as the reference GPT recipe.
//   adam:  classic Adam, weight decay as an L2 term added to the gradient (grad += wd * param) on the same
//          tensors; with weight_decay 0 (the LSTM default) the two are the same update.
#pragma once
#include <string>
#include <vector>

#include "model/core/arena.h"
#include "model/core/device_arena.h"
#include "model/core/exec.h"
#include "model/core/status.h"
#include "model/ops/adamw.h"

namespace pluma {

enum class optimizer_kind { adamw, adam };
const char* optimizer_kind_name(optimizer_kind k);   // "adamw", "adam"
status optimizer_kind_parse(const std::string& name, optimizer_kind& out);

struct optimizer_config {
  optimizer_kind kind = optimizer_kind::adamw;
  float beta1 = 0.9f;
  float beta2 = 0.99f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;
};

class optimizer {
 public:
  optimizer(const optimizer_config& cfg, const std::vector<tensor_spec>& specs, size_t n_floats);

  // One update of every parameter (n_floats at params, the gradients at grads, where the moments live: see
  // to_device). grads are multiplied by grad_scale first (clipping); adam adds its L2 term to that. Increments
  // step_count(). grads are left as they were.
  void step(const exec_context& ctx, float* params, float* grads, float lr, float grad_scale);
  void step(const exec_context& ctx, arena& params, arena& grads, float lr, float grad_scale);   // host arenas

  // Where the moments live during training: host arenas (ctx on the CPU, the default) or a device copy on ctx's
  // GPU, uploaded now. m() and v() are the host arenas: moments_to_host() refreshes them from the device (before
  // a checkpoint), moments_to_device() sends changes back (after restoring one). No-ops on the CPU.
  status to_device(const exec_context& ctx);
  void moments_to_host();
  void moments_to_device();

  const optimizer_config& config() const { return cfg_; }
  arena& m() { return m_; }   // first moments, same size table as the parameters
  arena& v() { return v_; }   // second moments
  const arena& m() const { return m_; }
  const arena& v() const { return v_; }
  int step_count() const { return steps_; }
  void set_step_count(int n) { steps_ = n; }

 private:
  optimizer_config cfg_;
  std::vector<adamw_span> spans_;   // runs of consecutive tensors with the same decay flag (floats)
  arena m_, v_;
  int steps_ = 0;
  exec_context ctx_ = cpu_context();
  device_arena dm_, dv_;   // on the GPU (to_device)
  float* m_data();         // where the step reads the moments
  float* v_data();
};

// sqrt(sum of g[i]^2) over host g: (n) (tensor_sumsq: the same on any number of threads).
double grad_global_norm(const float* g, size_t n);
// The factor that brings a gradient of norm `norm` down to max_norm: min(1, max_norm / (norm + 1e-6));
// 1 when max_norm <= 0 (no clipping).
float grad_clip_scale(double norm, float max_norm);

}  // namespace pluma
