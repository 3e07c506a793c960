// The oneDNN LSTM primitive for one layer: forward and backward over a whole sequence. Our weights are
// PyTorch's layout, (4H, C) with gates (i, f, g, o), which is oneDNN's ldgoi with the same gate order; the
// primitive picks its own weight layouts, so weights are reordered on every call (they change every step).
// oneDNN takes one bias, b_ih + b_hh; its gradient goes into both.
// With matmul_bf16() when the primitive is made (--precision bf16), the layer runs oneDNN's bf16 LSTM: the
// input, h and the weights in bfloat16 (converted here, and back for h), c, the bias, the gate arithmetic and
// every gradient in fp32. Where oneDNN has no bf16 LSTM for this CPU it stays fp32 (is_bf16() says which).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "model/core/check.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/lstm.h"
#include "model/ops/matmul.h"

namespace pluma {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

void add_into(float* dst, const float* src, size_t n) {
#pragma omp simd
  for (size_t k = 0; k < n; k++) dst[k] += src[k];
}

// A scratchpad of the given layout in the calling thread's buffer (grown, never shrunk): one buffer per
// thread, as oneDNN's own would be, that every layer run on the thread uses in turn.
dnnl::memory thread_scratch(const dnnl::memory::desc& md) {
  static thread_local std::vector<char> buffer;
  const size_t bytes = md.get_size();
  if (buffer.size() < bytes + 64) buffer.resize(bytes + 64);
  const auto at = reinterpret_cast<uintptr_t>(buffer.data());
  return dnnl::memory(md, cpu_engine(), reinterpret_cast<void*>((at + 63) / 64 * 64));
}

}  // namespace

struct lstm_primitive::impl {
  int T, B, C, H;
  bool bf16 = false;
  // bf16: the primitive's own copies of x, h0 (inputs) and h, hT (outputs), kept for backward
  std::vector<uint16_t> x16, h016, h16, hT16;
  dnnl::stream strm{cpu_engine()};
  dnnl::memory::desc src_md, iter_md, dst_md, bias_md, wl_user_md, wi_user_md;   // fp32, our buffers
  dnnl::memory::desc act_src_md, act_iter_md, act_dst_md;   // x, h0/hT, h as the primitives take them
  dnnl::lstm_forward::primitive_desc fwd_pd, inf_pd;
  dnnl::lstm_backward::primitive_desc bwd_pd;
  dnnl::lstm_forward fwd, inf;
  dnnl::lstm_backward bwd;
  dnnl::memory wl_fwd, wi_fwd, wl_inf, wi_inf, wl_bwd, wi_bwd, dwl, dwi, workspace;
  // A layer made inside a parallel region (a lane's, on a thread of OpenMP's team) takes the scratchpad of the
  // thread that runs it (user mode, thread_scratch), so that any thread may run it: oneDNN's own scratchpad
  // here belongs to the thread that made a primitive. Elsewhere oneDNN's own, which needs less memory for the
  // RNN primitives (3x512: 60 MB less).
  bool user_scratch = false;
  std::vector<float> bias;               // (4H) b_ih + b_hh
  std::vector<float> zeros_bh;           // (B, H) the missing initial state / final-state gradient
  std::vector<float> hT, cT;             // (B, H) used when the caller does not want the final state
  std::vector<float> dx, dh0, dc0;       // (T, B, C), (B, H), (B, H) the primitive writes, we add
  std::vector<float> dwl_user, dwi_user; // (4H, C), (4H, H) diff weights back in our layout
  std::vector<float> dbias;              // (4H)
  // what forward() saw, needed by backward()
  const float *x = nullptr, *h0 = nullptr, *c0 = nullptr, *w_ih = nullptr, *w_hh = nullptr;
  float *h = nullptr, *hT_used = nullptr, *cT_used = nullptr;
  bool trained = false;

  // The three primitives of the layer with the given type for x, h and the weights (c, the bias and every
  // gradient fp32). Throws dnnl::error when oneDNN has no implementation.
  void make_primitives(dt act) {
    impl& s = *this;
    using md = dnnl::memory::desc;
    const int T = s.T, B = s.B, C = s.C, H = s.H;
    const md src({T, B, C}, act, tag::tnc), iter({1, 1, B, H}, act, tag::ldnc), dst({T, B, H}, act, tag::tnc);
    const md iter_c({1, 1, B, H}, dt::f32, tag::ldnc);
    md wl_any({1, 1, C, 4, H}, act, tag::any), wi_any({1, 1, H, 4, H}, act, tag::any);
    md dwl_any({1, 1, C, 4, H}, dt::f32, tag::any), dwi_any({1, 1, H, 4, H}, dt::f32, tag::any);
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    auto& eng = cpu_engine();
    dnnl::primitive_attr attr;
    if (s.user_scratch) attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::lstm_forward::desc fd(dnnl::prop_kind::forward_training, dir, src, iter, iter_c, wl_any, wi_any, s.bias_md,
                                dst, iter, iter_c);
    s.fwd_pd = dnnl::lstm_forward::primitive_desc(fd, attr, eng);
    dnnl::lstm_forward::desc id(dnnl::prop_kind::forward_inference, dir, src, iter, iter_c, wl_any, wi_any, s.bias_md,
                                dst, iter, iter_c);
    s.inf_pd = dnnl::lstm_forward::primitive_desc(id, attr, eng);
    dnnl::lstm_backward::desc bd(dnnl::prop_kind::backward, dir, src, iter, iter_c, wl_any, wi_any, s.bias_md, dst,
                                 iter, iter_c, s.src_md, s.iter_md, s.iter_md, dwl_any, dwi_any, s.bias_md, s.dst_md,
                                 s.iter_md, s.iter_md);
    s.bwd_pd = dnnl::lstm_backward::primitive_desc(bd, attr, eng, s.fwd_pd);
    s.fwd = dnnl::lstm_forward(s.fwd_pd);
    s.inf = dnnl::lstm_forward(s.inf_pd);
    s.bwd = dnnl::lstm_backward(s.bwd_pd);
    s.act_src_md = src, s.act_iter_md = iter, s.act_dst_md = dst;
  }

  dnnl::memory mem(const dnnl::memory::desc& md, const float* p) {
    return dnnl::memory(md, cpu_engine(), const_cast<float*>(p));
  }
  // x, h0, h or hT as the primitives take them: our fp32 buffer, or its bf16 copy
  dnnl::memory act(const dnnl::memory::desc& md, const float* p, std::vector<uint16_t>& copy16) {
    return bf16 ? dnnl::memory(md, cpu_engine(), copy16.data()) : mem(md, p);
  }
  // reorders our (4H, K) weights into the layout `into` holds (converting them to its type)
  void reorder_in(const dnnl::memory::desc& user_md, const float* w, dnnl::memory& into) {
    dnnl::memory src = mem(user_md, w);
    dnnl::reorder(src, into).execute(strm, src, into);
  }
};

lstm_primitive::lstm_primitive(const exec_context& ctx, int T, int B, int C, int H) : p_(std::make_unique<impl>()) {
  PLUMA_CHECK(ctx.dev == device::cpu, "lstm_primitive: oneDNN's LSTM runs on the CPU only");
  PLUMA_CHECK(T > 0 && B > 0 && C > 0 && H > 0, "lstm_primitive: dimensions must be positive");
  impl& s = *p_;
  s.T = T, s.B = B, s.C = C, s.H = H;
  s.user_scratch = omp_in_parallel();
  using md = dnnl::memory::desc;
  s.src_md = md({T, B, C}, dt::f32, tag::tnc);
  s.iter_md = md({1, 1, B, H}, dt::f32, tag::ldnc);
  s.dst_md = md({T, B, H}, dt::f32, tag::tnc);
  s.bias_md = md({1, 1, 4, H}, dt::f32, tag::ldgo);
  s.wl_user_md = md({1, 1, C, 4, H}, dt::f32, tag::ldgoi);
  s.wi_user_md = md({1, 1, H, 4, H}, dt::f32, tag::ldgoi);
  s.bf16 = false;
  if (matmul_bf16()) {
    try {
      s.make_primitives(dt::bf16);
      s.bf16 = true;
    } catch (const dnnl::error&) {   // no bf16 LSTM here: fp32 below
    }
  }
  if (!s.bf16) s.make_primitives(dt::f32);
  auto& eng = cpu_engine();
  s.wl_fwd = dnnl::memory(s.fwd_pd.weights_layer_desc(), eng);
  s.wi_fwd = dnnl::memory(s.fwd_pd.weights_iter_desc(), eng);
  s.wl_inf = dnnl::memory(s.inf_pd.weights_layer_desc(), eng);
  s.wi_inf = dnnl::memory(s.inf_pd.weights_iter_desc(), eng);
  s.wl_bwd = dnnl::memory(s.bwd_pd.weights_layer_desc(), eng);
  s.wi_bwd = dnnl::memory(s.bwd_pd.weights_iter_desc(), eng);
  s.dwl = dnnl::memory(s.bwd_pd.diff_weights_layer_desc(), eng);
  s.dwi = dnnl::memory(s.bwd_pd.diff_weights_iter_desc(), eng);
  s.workspace = dnnl::memory(s.fwd_pd.workspace_desc(), eng);

  const size_t BH = size_t(B) * H;
  s.bias.resize(4 * size_t(H));
  s.zeros_bh.assign(BH, 0.0f);
  s.hT.resize(BH), s.cT.resize(BH), s.dh0.resize(BH), s.dc0.resize(BH);
  s.dx.resize(size_t(T) * B * C);
  s.dwl_user.resize(4 * size_t(H) * C), s.dwi_user.resize(4 * size_t(H) * H);
  s.dbias.resize(4 * size_t(H));
  if (s.bf16) s.x16.resize(size_t(T) * B * C), s.h016.resize(BH), s.h16.resize(size_t(T) * BH), s.hT16.resize(BH);
}

lstm_primitive::~lstm_primitive() = default;

bool lstm_primitive::fits(int T, int B, int C, int H) const {
  return p_->T == T && p_->B == B && p_->C == C && p_->H == H;
}

void lstm_primitive::forward(float* h, float* hT, float* cT, const float* x, const float* h0, const float* c0,
                        const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
                        bool training) {
  impl& s = *p_;
  for (int k = 0; k < 4 * s.H; k++) s.bias[k] = b_ih[k] + b_hh[k];
  dnnl::memory& wl = training ? s.wl_fwd : s.wl_inf;
  dnnl::memory& wi = training ? s.wi_fwd : s.wi_inf;
  s.reorder_in(s.wl_user_md, w_ih, wl);
  s.reorder_in(s.wi_user_md, w_hh, wi);
  s.x = x, s.h0 = h0 ? h0 : s.zeros_bh.data(), s.c0 = c0 ? c0 : s.zeros_bh.data();
  s.w_ih = w_ih, s.w_hh = w_hh, s.h = h;
  s.hT_used = hT ? hT : s.hT.data();
  s.cT_used = cT ? cT : s.cT.data();
  const size_t BH = size_t(s.B) * s.H;
  if (s.bf16) {
    cpu::to_bf16(s.x16.data(), x, s.x16.size());
    cpu::to_bf16(s.h016.data(), s.h0, BH);
  }
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC_LAYER, s.act(s.act_src_md, x, s.x16)},   {DNNL_ARG_SRC_ITER, s.act(s.act_iter_md, s.h0, s.h016)},
      {DNNL_ARG_SRC_ITER_C, s.mem(s.iter_md, s.c0)},     {DNNL_ARG_WEIGHTS_LAYER, wl},
      {DNNL_ARG_WEIGHTS_ITER, wi},                {DNNL_ARG_BIAS, s.mem(s.bias_md, s.bias.data())},
      {DNNL_ARG_DST_LAYER, s.act(s.act_dst_md, h, s.h16)}, {DNNL_ARG_DST_ITER, s.act(s.act_iter_md, s.hT_used, s.hT16)},
      {DNNL_ARG_DST_ITER_C, s.mem(s.iter_md, s.cT_used)}};
  if (training) {
    args.insert({DNNL_ARG_WORKSPACE, s.workspace});
    if (s.user_scratch) args.insert({DNNL_ARG_SCRATCHPAD, thread_scratch(s.fwd_pd.scratchpad_desc())});
    s.fwd.execute(s.strm, args);
  } else {
    if (s.user_scratch) args.insert({DNNL_ARG_SCRATCHPAD, thread_scratch(s.inf_pd.scratchpad_desc())});
    s.inf.execute(s.strm, args);
  }
  s.strm.wait();
  if (s.bf16) {   // h and hT back in fp32 for the caller
    cpu::from_bf16(h, s.h16.data(), s.h16.size());
    cpu::from_bf16(s.hT_used, s.hT16.data(), BH);
  }
  s.trained = training;
}

bool lstm_primitive::is_bf16() const { return p_->bf16; }

void lstm_primitive::backward(float* dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh, float* db_ih,
                         float* db_hh, const float* dh, const float* dhT, const float* dcT) {
  impl& s = *p_;
  PLUMA_CHECK(s.trained, "lstm_primitive::backward needs a forward(training = true) first");
  s.reorder_in(s.wl_user_md, s.w_ih, s.wl_bwd);
  s.reorder_in(s.wi_user_md, s.w_hh, s.wi_bwd);
  // the primitive accumulates into its weight gradients: start them from zero
  std::memset(s.dwl.get_data_handle(), 0, s.bwd_pd.diff_weights_layer_desc().get_size());
  std::memset(s.dwi.get_data_handle(), 0, s.bwd_pd.diff_weights_iter_desc().get_size());
  std::fill(s.dbias.begin(), s.dbias.end(), 0.0f);
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC_LAYER, s.act(s.act_src_md, s.x, s.x16)},
      {DNNL_ARG_SRC_ITER, s.act(s.act_iter_md, s.h0, s.h016)},
      {DNNL_ARG_SRC_ITER_C, s.mem(s.iter_md, s.c0)},
      {DNNL_ARG_WEIGHTS_LAYER, s.wl_bwd},
      {DNNL_ARG_WEIGHTS_ITER, s.wi_bwd},
      {DNNL_ARG_BIAS, s.mem(s.bias_md, s.bias.data())},
      {DNNL_ARG_DST_LAYER, s.act(s.act_dst_md, s.h, s.h16)},
      {DNNL_ARG_DST_ITER, s.act(s.act_iter_md, s.hT_used, s.hT16)},
      {DNNL_ARG_DST_ITER_C, s.mem(s.iter_md, s.cT_used)},
      {DNNL_ARG_WORKSPACE, s.workspace},
      {DNNL_ARG_DIFF_SRC_LAYER, s.mem(s.src_md, s.dx.data())},
      {DNNL_ARG_DIFF_SRC_ITER, s.mem(s.iter_md, s.dh0.data())},
      {DNNL_ARG_DIFF_SRC_ITER_C, s.mem(s.iter_md, s.dc0.data())},
      {DNNL_ARG_DIFF_WEIGHTS_LAYER, s.dwl},
      {DNNL_ARG_DIFF_WEIGHTS_ITER, s.dwi},
      {DNNL_ARG_DIFF_BIAS, s.mem(s.bias_md, s.dbias.data())},
      {DNNL_ARG_DIFF_DST_LAYER, s.mem(s.dst_md, dh)},
      {DNNL_ARG_DIFF_DST_ITER, s.mem(s.iter_md, dhT ? dhT : s.zeros_bh.data())},
      {DNNL_ARG_DIFF_DST_ITER_C, s.mem(s.iter_md, dcT ? dcT : s.zeros_bh.data())}};
  if (s.user_scratch) args.insert({DNNL_ARG_SCRATCHPAD, thread_scratch(s.bwd_pd.scratchpad_desc())});
  s.bwd.execute(s.strm, args);
  dnnl::memory dwl_user = s.mem(s.wl_user_md, s.dwl_user.data());
  dnnl::memory dwi_user = s.mem(s.wi_user_md, s.dwi_user.data());
  dnnl::reorder(s.dwl, dwl_user).execute(s.strm, s.dwl, dwl_user);
  dnnl::reorder(s.dwi, dwi_user).execute(s.strm, s.dwi, dwi_user);
  s.strm.wait();

  const size_t BH = size_t(s.B) * s.H, G = 4 * size_t(s.H);
  if (dx) add_into(dx, s.dx.data(), size_t(s.T) * s.B * s.C);
  if (dh0) add_into(dh0, s.dh0.data(), BH);
  if (dc0) add_into(dc0, s.dc0.data(), BH);
  add_into(dw_ih, s.dwl_user.data(), G * s.C);
  add_into(dw_hh, s.dwi_user.data(), G * s.H);
  add_into(db_ih, s.dbias.data(), G);
  add_into(db_hh, s.dbias.data(), G);
}

}  // namespace pluma
