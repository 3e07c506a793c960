// The op case registry: every op (forward and backward) as one or more cases with fixed shapes (odd sizes
// included), a seed and tolerances. The finite-difference gradient check (test_ops.cpp) and the CPU<->CUDA
// parity test enumerate the same list. A case only calls the public op functions with an exec_context, and
// only through the pointers in op_args, so a runner may hand it host or device memory alike.
//
// The scalar a case is differentiated through is loss = sum over outputs of dout · out, with dout a fixed
// random projection; backward is then called with those dout and must add d loss / d input into din.
//
// A runner for another device: make_host_data(case), copy each vector into a device buffer of the same size,
// build op_args from the device pointers, run forward (then backward) with that device's exec_context, copy
// back, and compare with the CPU run by normalized error <= parity_tol: outputs, saved buffers, input
// gradients, and inputs marked `updated`. A case names its op and the backends that implement it: a runner
// for another device enumerates cases_on(op_cases(), that device) (an op with only a CPU backend aborts
// elsewhere); for the GPU that is cuda_parity_cases().
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/core/exec.h"
#include "model/core/rng.h"
#include "model/ops/adamw.h"
#include "model/ops/attention.h"
#include "model/ops/dropout.h"
#include "model/ops/embedding.h"
#include "model/ops/gelu.h"
#include "model/ops/kv_cache.h"
#include "model/ops/layernorm.h"
#include "model/ops/matmul.h"
#include "model/ops/residual.h"
#include "model/ops/softmax_xent.h"
#include "model/ops/tensor_util.h"

namespace pluma::op_test {

// One float buffer of a case.
struct float_buf {
  std::string name;
  size_t n = 0;
  bool grad = false;      // inputs: has a gradient that backward adds into
  float scale = 1.0f;     // inputs are filled with scale * N(0, 1) ...
  bool positive = false;  // ... or its absolute value
  bool updated = false;   // inputs the op updates in place (the optimizer): compared after forward
};

struct int_buf {
  std::string name;
  std::vector<int> values;
};

// Pointers handed to a case's functions, in declaration order of its buffers.
struct op_args {
  std::vector<float*> in;         // inputs and parameters
  std::vector<float*> din;        // their gradients (nullptr where the input has none)
  std::vector<const int*> ints;   // token ids, targets
  std::vector<float*> out;        // outputs, projected to the scalar loss
  std::vector<float*> dout;       // d loss / d out: the projection weights
  std::vector<float*> saved;      // written by forward, read by backward (mean, rstd, att, probs, mask)
};

using op_fn = std::function<void(const exec_context&, const op_args&)>;

struct op_case {
  std::string name;
  uint64_t seed = 1;
  std::string op;                              // the op's files: model/ops/<op>.h, cpu/<op>.cpp, cuda/<op>.cu
  std::vector<device> backends{device::cpu};   // where the op runs: the CPU (the oracle), and the GPU when
                                               // model/ops/cuda/<op>.cu implements it
  std::vector<float_buf> inputs;
  std::vector<int_buf> ints;
  std::vector<float_buf> outputs;
  std::vector<float_buf> saved;
  bool smooth = true;         // false: finite differences are meaningless here (kinks); only parity applies
  double fd_step = 1e-2;      // central-difference step
  double grad_tol = 2e-3;     // normalized error allowed between analytic and finite-difference gradients
  double parity_tol = 1e-5;   // normalized error allowed between backends (outputs, saved, gradients)
  size_t fd_max = 96;         // at most this many elements of each input are perturbed
  op_fn forward;
  op_fn backward;             // empty when the op has no gradient (decode step, optimizer)
};

// Host copies of a case's buffers, filled from its seed; args() points into them.
struct op_host_data {
  std::vector<std::vector<float>> in, din, out, dout, saved;
  std::vector<std::vector<int>> ints;

  op_args args() {
    op_args a;
    for (size_t i = 0; i < in.size(); i++) {
      a.in.push_back(in[i].data());
      a.din.push_back(din[i].empty() ? nullptr : din[i].data());
    }
    for (auto& v : ints) a.ints.push_back(v.data());
    for (auto& v : out) a.out.push_back(v.data());
    for (auto& v : dout) a.dout.push_back(v.data());
    for (auto& v : saved) a.saved.push_back(v.data());
    return a;
  }

  // loss = sum over outputs of dout · out, in double
  double loss() const {
    double s = 0.0;
    for (size_t i = 0; i < out.size(); i++)
      for (size_t j = 0; j < out[i].size(); j++) s += static_cast<double>(dout[i][j]) * out[i][j];
    return s;
  }
};

inline bool runs_on(const op_case& c, device d) {
  return std::find(c.backends.begin(), c.backends.end(), d) != c.backends.end();
}

// The cases of `cases` whose op runs on device d.
inline std::vector<op_case> cases_on(std::vector<op_case> cases, device d) {
  std::erase_if(cases, [d](const op_case& c) { return !runs_on(c, d); });
  return cases;
}

inline op_host_data make_host_data(const op_case& c) {
  op_host_data d;
  rng gen(c.seed);
  for (const auto& b : c.inputs) {
    std::vector<float> v(b.n);
    for (auto& x : v) {
      x = b.scale * gen.normal();
      if (b.positive) x = std::abs(x);
    }
    d.in.push_back(std::move(v));
    d.din.emplace_back(b.grad ? b.n : 0, 0.0f);
  }
  for (const auto& b : c.ints) d.ints.push_back(b.values);
  rng proj(c.seed ^ 0xD1B54A32D192ED03ULL);
  for (const auto& b : c.outputs) {
    d.out.emplace_back(b.n, 0.0f);
    std::vector<float> w(b.n);
    for (auto& x : w) x = proj.normal();
    d.dout.push_back(std::move(w));
  }
  for (const auto& b : c.saved) d.saved.emplace_back(b.n, 0.0f);
  return d;
}

// ---- the cases -------------------------------------------------------------------------------------------

namespace detail {

inline op_case named_case(std::string name, uint64_t seed) {
  op_case c;
  c.name = std::move(name);
  c.seed = seed;
  return c;
}

// A case of an op that only the CPU backend implements (model/ops/cpu/<op>.cpp).
inline op_case cpu_case(std::string name, uint64_t seed, const char* op) {
  op_case c = named_case(std::move(name), seed);
  c.op = op;
  return c;
}

// A case of an op that both backends implement (model/ops/cpu/<op>.cpp and model/ops/cuda/<op>.cu).
inline op_case cpu_cuda_case(std::string name, uint64_t seed, const char* op) {
  op_case c = cpu_case(std::move(name), seed, op);
  c.backends = {device::cpu, device::cuda};
  return c;
}

inline std::vector<int> random_ints(uint64_t seed, size_t n, int lo, int hi) {  // in [lo, hi)
  rng gen(seed);
  std::vector<int> v(n);
  for (auto& x : v) x = lo + static_cast<int>(gen.below(static_cast<uint64_t>(hi - lo)));
  return v;
}

// inp_grad false: backward gets dinp = nullptr (the first layer's product, whose input needs no gradient)
inline op_case matmul_case(std::string name, uint64_t seed, int N, int C, int OC, bool bias, bool inp_grad = true) {
  op_case c = cpu_cuda_case(std::move(name), seed, "matmul");
  c.inputs = {{"inp", size_t(N) * C, inp_grad}, {"weight", size_t(OC) * C, true, 0.5f}};
  if (bias) c.inputs.push_back({"bias", size_t(OC), true});
  c.outputs = {{"out", size_t(N) * OC}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    matmul_forward(ctx, a.out[0], a.in[0], a.in[1], bias ? a.in[2] : nullptr, N, C, OC);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    matmul_backward(ctx, a.din[0], a.din[1], bias ? a.din[2] : nullptr, a.dout[0], a.in[0], a.in[1], N, C, OC);
  };
  return c;
}

inline op_case embedding_case(std::string name, uint64_t seed, int B, int T, int C, int V, int maxT, bool pos) {
  op_case c = cpu_cuda_case(std::move(name), seed, "embedding");
  c.inputs = {{"wte", size_t(V) * C, true}};
  if (pos) c.inputs.push_back({"wpe", size_t(maxT) * C, true});
  c.ints = {{"tokens", random_ints(seed + 1, size_t(B) * T, 0, V)}};
  c.outputs = {{"out", size_t(B) * T * C}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    embedding_forward(ctx, a.out[0], a.ints[0], a.in[0], pos ? a.in[1] : nullptr, B, T, C);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    embedding_backward(ctx, a.din[0], pos ? a.din[1] : nullptr, a.dout[0], a.ints[0], B, T, C);
  };
  return c;
}

inline op_case layernorm_case(std::string name, uint64_t seed, int N, int C, bool bias) {
  op_case c = cpu_cuda_case(std::move(name), seed, "layernorm");
  c.inputs = {{"inp", size_t(N) * C, true, 2.0f}, {"weight", size_t(C), true}};
  if (bias) c.inputs.push_back({"bias", size_t(C), true});
  c.outputs = {{"out", size_t(N) * C}};
  c.saved = {{"mean", size_t(N)}, {"rstd", size_t(N)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    layernorm_forward(ctx, a.out[0], a.saved[0], a.saved[1], a.in[0], a.in[1], bias ? a.in[2] : nullptr, N, C);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    layernorm_backward(ctx, a.din[0], a.din[1], bias ? a.din[2] : nullptr, a.dout[0], a.in[0], a.in[1],
                       a.saved[0], a.saved[1], N, C);
  };
  return c;
}

inline op_case attention_case(std::string name, uint64_t seed, int B, int T, int C, int NH) {
  op_case c = cpu_cuda_case(std::move(name), seed, "attention");
  c.inputs = {{"qkv", size_t(B) * T * 3 * C, true}};
  c.outputs = {{"out", size_t(B) * T * C}};
  c.saved = {{"att", size_t(B) * NH * T * T}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    attention_forward(ctx, a.out[0], a.saved[0], a.in[0], B, T, C, NH);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    attention_backward(ctx, a.din[0], a.dout[0], a.in[0], a.saved[0], B, T, C, NH);
  };
  return c;
}

// Forward without saving the probabilities (att = nullptr): inference, no backward.
inline op_case attention_inference_case(std::string name, uint64_t seed, int B, int T, int C, int NH) {
  op_case c = cpu_cuda_case(std::move(name), seed, "attention");
  c.inputs = {{"qkv", size_t(B) * T * 3 * C}};
  c.outputs = {{"out", size_t(B) * T * C}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    attention_forward(ctx, a.out[0], nullptr, a.in[0], B, T, C, NH);
  };
  return c;
}

inline op_case attention_decode_case(std::string name, uint64_t seed, int B, int len, int maxT, int C, int NH) {
  op_case c = cpu_cuda_case(std::move(name), seed, "attention");
  const size_t cache = size_t(B) * maxT * C;  // (B, NH, maxT, HS)
  c.inputs = {{"q", size_t(B) * C}, {"kcache", cache}, {"vcache", cache}};
  c.outputs = {{"out", size_t(B) * C}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    attention_decode(ctx, a.out[0], a.in[0], a.in[1], a.in[2], B, len, maxT, C, NH);
  };
  return c;
}

inline op_case gelu_case(std::string name, uint64_t seed, long N, float scale) {
  op_case c = cpu_cuda_case(std::move(name), seed, "gelu");
  c.inputs = {{"inp", size_t(N), true, scale}};
  c.outputs = {{"out", size_t(N)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) { gelu_forward(ctx, a.out[0], a.in[0], N); };
  c.backward = [=](const exec_context& ctx, const op_args& a) { gelu_backward(ctx, a.din[0], a.in[0], a.dout[0], N); };
  return c;
}

inline op_case residual_case(std::string name, uint64_t seed, long N) {
  op_case c = cpu_cuda_case(std::move(name), seed, "residual");
  c.inputs = {{"a", size_t(N), true}, {"b", size_t(N), true}};
  c.outputs = {{"out", size_t(N)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) { residual_forward(ctx, a.out[0], a.in[0], a.in[1], N); };
  c.backward = [=](const exec_context& ctx, const op_args& a) { residual_backward(ctx, a.din[0], a.din[1], a.dout[0], N); };
  return c;
}

// The mask comes from a generator seeded afresh on every forward, so repeated forwards agree.
inline op_case dropout_case(std::string name, uint64_t seed, long N, float p) {
  op_case c = cpu_cuda_case(std::move(name), seed, "dropout");
  c.inputs = {{"inp", size_t(N), true}};
  c.outputs = {{"out", size_t(N)}};
  c.saved = {{"mask", size_t(N)}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    rng gen(seed + 7);
    dropout_forward(ctx, a.out[0], a.saved[0], a.in[0], N, p, gen);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) { dropout_backward(ctx, a.din[0], a.dout[0], a.saved[0], N); };
  return c;
}

inline op_case softmax_xent_case(std::string name, uint64_t seed, int N, int V, float smoothing) {
  op_case c = cpu_cuda_case(std::move(name), seed, "softmax_xent");
  c.inputs = {{"logits", size_t(N) * V, true, 2.0f}};
  std::vector<int> targets = random_ints(seed + 1, size_t(N), 0, V);
  for (int n = 2; n < N; n += 5) targets[n] = -1;  // some positions ignored
  c.ints = {{"targets", targets}};
  c.outputs = {{"losses", size_t(N)}};
  c.saved = {{"probs", size_t(N) * V}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    softmax_xent_forward(ctx, a.out[0], a.saved[0], a.in[0], a.ints[0], N, V, smoothing);
  };
  c.backward = [=](const exec_context& ctx, const op_args& a) {
    softmax_xent_backward(ctx, a.din[0], a.dout[0], a.saved[0], a.ints[0], N, V, smoothing);
  };
  return c;
}

inline op_case adamw_case(std::string name, uint64_t seed, size_t n, adamw_params hp, float grad_scale) {
  op_case c = cpu_cuda_case(std::move(name), seed, "adamw");
  c.inputs = {{"params", n, false, 1.0f, false, true},
              {"grads", n},
              {"m", n, false, 0.1f, false, true},
              {"v", n, false, 0.01f, true, true}};
  c.forward = [=](const exec_context& ctx, const op_args& a) {
    adamw_update(ctx, a.in[0], a.in[1], a.in[2], a.in[3], n, hp, grad_scale);
  };
  return c;
}

}  // namespace detail

}  // namespace pluma::op_test

#include "tests/op_cases_gpt_helpers.h"
#include "tests/op_cases_lstm.h"
#include "tests/op_cases_seq2seq.h"

namespace pluma::op_test {

inline std::vector<op_case> op_cases() {
  using namespace detail;
  std::vector<op_case> cases;
  cases.push_back(matmul_case("matmul_bias", 11, 3 * 5, 12, 7, true));
  cases.push_back(matmul_case("matmul_odd_nobias", 12, 7, 13, 5, false));
  cases.push_back(matmul_case("matmul_model", 13, 64, 128, 384, true));
  cases.push_back(matmul_case("matmul_one_row", 16, 1, 37, 13, true));   // the few-rows path
  cases.push_back(matmul_case("matmul_four_rows", 17, 4, 24, 9, false));
  cases.back().fd_max = 32;  // a model-sized product: probe a sample of each input
  cases.push_back(matmul_case("matmul_no_dinp", 18, 9, 20, 11, true, /*inp_grad=*/false));
  cases.push_back(embedding_case("embedding_pos", 21, 3, 5, 12, 11, 7, true));
  cases.push_back(embedding_case("embedding_nopos", 22, 2, 9, 5, 3, 9, false));
  cases.push_back(layernorm_case("layernorm_bias", 31, 3 * 5, 12, true));
  cases.push_back(layernorm_case("layernorm_nobias", 32, 7, 37, false));
  cases.push_back(attention_case("attention", 41, 3, 5, 12, 3));
  cases.push_back(attention_case("attention_t1", 42, 2, 1, 8, 2));
  cases.push_back(attention_case("attention_t17", 43, 2, 17, 32, 4));
  cases.push_back(attention_decode_case("attention_decode", 44, 3, 4, 6, 12, 3));
  cases.push_back(attention_inference_case("attention_no_att", 45, 2, 9, 16, 2));
  cases.push_back(gelu_case("gelu", 51, 101, 2.0f));
  cases.push_back(residual_case("residual", 61, 37));
  cases.push_back(dropout_case("dropout", 71, 97, 0.25f));
  cases.push_back(dropout_case("dropout_p0", 72, 13, 0.0f));
  cases.push_back(softmax_xent_case("softmax_xent", 81, 3 * 5, 11, 0.0f));
  cases.push_back(softmax_xent_case("softmax_xent_smoothing", 82, 7, 13, 0.1f));
  adamw_params hp{.lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.99f, .eps = 1e-8f, .weight_decay = 0.1f, .step = 3};
  cases.push_back(adamw_case("adamw", 91, 37, hp, 0.5f));
  adamw_params l2{.lr = 1e-2f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f, .l2 = 0.05f, .step = 2};
  cases.push_back(adamw_case("adam_l2", 92, 37, l2, 0.5f));
  add_gpt_helper_cases(cases);
  add_lstm_cases(cases);
  add_seq2seq_cases(cases);

  // Sizes above the CPU backend's threshold for starting threads, so the threaded paths are checked too.
  const size_t n_cases = cases.size();
  cases.push_back(embedding_case("embedding_threads", 101, 4, 64, 160, 50, 64, true));
  cases.push_back(layernorm_case("layernorm_threads", 102, 300, 130, true));
  cases.push_back(attention_case("attention_threads", 103, 2, 70, 64, 4));
  cases.push_back(attention_decode_case("attention_decode_threads", 104, 4, 300, 320, 64, 2));
  cases.push_back(gelu_case("gelu_threads", 105, 40009, 2.0f));
  cases.push_back(residual_case("residual_threads", 106, 40009));
  cases.push_back(dropout_case("dropout_threads", 107, 40009, 0.1f));
  cases.push_back(softmax_xent_case("softmax_xent_threads", 108, 401, 97, 0.05f));
  cases.push_back(adamw_case("adamw_threads", 109, 40009, hp, 1.0f));
  add_gpt_helper_thread_cases(cases);
  add_seq2seq_thread_cases(cases);
  for (size_t i = n_cases; i < cases.size(); i++) cases[i].fd_max = 24;
  return cases;
}

// The parity list: every case whose op has a CUDA kernel (tests/test_cuda_parity.cpp runs exactly these).
inline std::vector<op_case> cuda_parity_cases() { return cases_on(op_cases(), device::cuda); }

}  // namespace pluma::op_test
