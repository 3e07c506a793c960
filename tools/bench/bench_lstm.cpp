// bench_lstm: one LSTM layer's forward + backward over a sequence, own kernels (matmul op + fused cell)
// against the oneDNN LSTM primitive, at the shapes of the char-rnn configurations; then a whole LSTM LM
// training step (forward_backward) with each, interleaved. Checks that both agree before timing.
// Usage: bench_lstm [iterations]   (threads: OMP_NUM_THREADS)
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "model/core/rng.h"
#include "model/ops/cpu/lstm.h"
#include "model/ops/lstm.h"
#include "model/rnn/lstm_lm.h"

using namespace pluma;

namespace {

struct buffers {
  int T, B, C, H;
  std::vector<float> x, h0, c0, w_ih, w_hh, b_ih, b_hh, dh;                       // inputs
  std::vector<float> h, c, gates, hT, cT, fscratch, bscratch;                     // own kernels' outputs
  std::vector<float> dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh;                    // gradients
  buffers(int T_, int B_, int C_, int H_) : T(T_), B(B_), C(C_), H(H_) {
    rng g(1);
    auto fill = [&](std::vector<float>& v, size_t n, float s) {
      v.resize(n);
      for (auto& e : v) e = s * (2.0f * g.uniform() - 1.0f);
    };
    const size_t BH = size_t(B) * H, G = 4 * size_t(H), k = 1;
    const float w = 1.0f / std::sqrt(float(H));
    fill(x, size_t(T) * B * C, 1.0f), fill(h0, BH, 0.5f), fill(c0, BH, 0.5f), fill(w_ih, G * C, w);
    fill(w_hh, G * H, w), fill(b_ih, G, w), fill(b_hh, G, w), fill(dh, size_t(T) * BH, 1e-2f);
    h.resize(T * BH), c.resize(T * BH), gates.resize(T * B * G), hT.resize(BH), cT.resize(BH);
    fscratch.resize(lstm_forward_scratch_floats(B, H)), bscratch.resize(lstm_backward_scratch_floats(T, B, H));
    dx.resize(x.size()), dh0.resize(BH * k), dc0.resize(BH), dw_ih.resize(w_ih.size()), dw_hh.resize(w_hh.size());
    db_ih.resize(G), db_hh.resize(G);
  }
  void zero_grads() {
    for (auto* v : {&dx, &dh0, &dc0, &dw_ih, &dw_hh, &db_ih, &db_hh}) std::fill(v->begin(), v->end(), 0.0f);
  }
  void own_forward() {
    lstm_forward(cpu_context(), h.data(), c.data(), gates.data(), hT.data(), cT.data(), x.data(), h0.data(),
                 c0.data(), w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(), fscratch.data(), T, B, C, H);
  }
  void own_backward() {
    lstm_backward(cpu_context(), dx.data(), dh0.data(), dc0.data(), dw_ih.data(), dw_hh.data(), db_ih.data(),
                  db_hh.data(), dh.data(), nullptr, nullptr, x.data(), h0.data(), c0.data(), w_ih.data(),
                  w_hh.data(), h.data(), c.data(), gates.data(), bscratch.data(), T, B, C, H);
  }
  void dnnl_forward(lstm_primitive& p, bool training) {
    p.forward(h.data(), hT.data(), cT.data(), x.data(), h0.data(), c0.data(), w_ih.data(), w_hh.data(),
              b_ih.data(), b_hh.data(), training);
  }
  void dnnl_backward(lstm_primitive& p) {
    p.backward(dx.data(), dh0.data(), dc0.data(), dw_ih.data(), dw_hh.data(), db_ih.data(), db_hh.data(),
               dh.data(), nullptr, nullptr);
  }
};

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); i++) d += double(a[i] - b[i]) * (a[i] - b[i]), n += double(b[i]) * b[i];
  return std::sqrt(d / std::max(n, 1e-30));
}

template <class F>
double median_ms(int iters, F&& f) {
  f();   // warm-up
  std::vector<double> t;
  for (int i = 0; i < iters; i++) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

// ms per training step (forward_backward) of an L x H char model (V = 65) at (B, T), kernels and primitive
// alternating step by step so that machine noise hits both alike.
void bench_model(int L, int H, int B, int T, int iters) {
  lstm_config cfg;
  cfg.vocab_size = 65, cfg.embd = H, cfg.hidden = H, cfg.layers = L, cfg.carry_state = false;
  lstm_lm own(cfg), prim(cfg);
  own.set_impl(lstm_impl::kernels);
  prim.set_impl(lstm_impl::primitive);
  own.init_params(1);
  std::copy(own.params().data(), own.params().data() + own.params().size(), prim.params().data());
  rng g(2), drop(3);
  std::vector<int> in(size_t(B) * T), tg(in.size());
  for (auto& t : in) t = int(g.below(65));
  for (auto& t : tg) t = int(g.below(65));
  const float lo = own.forward_backward(in.data(), tg.data(), B, T, 1.0f, drop);
  const float lp = prim.forward_backward(in.data(), tg.data(), B, T, 1.0f, drop);
  std::vector<double> to, tp;
  for (int i = 0; i < iters; i++) {
    for (int k = 0; k < 2; k++) {
      lstm_lm& m = k == 0 ? own : prim;
      auto t0 = std::chrono::steady_clock::now();
      m.forward_backward(in.data(), tg.data(), B, T, 1.0f, drop);
      (k == 0 ? to : tp).push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  std::sort(to.begin(), to.end());
  std::sort(tp.begin(), tp.end());
  std::printf("LSTM LM %dx%d, B %d, T %d: kernels %.2f ms/step, primitive %.2f ms/step (medians; losses %.6f / %.6f)\n",
              L, H, B, T, to[to.size() / 2], tp[tp.size() / 2], lo, lp);
}

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 20;
  std::printf("LSTM layer, forward+backward over T steps; %d threads; median of %d runs\n", omp_get_max_threads(),
              iters);
  std::printf("%-22s %10s %10s %10s %10s %10s %10s %8s\n", "T B C H", "own fwd", "own f+b", "dnnl fwd",
              "dnnl f+b", "dnnl inf", "GFLOP/s", "max err");
  struct shape {
    int T, B, C, H;
  };
  bool ok = true;
  for (shape s : {shape{64, 32, 256, 256}, shape{64, 32, 512, 512}, shape{50, 50, 128, 128}, shape{100, 50, 512, 512}}) {
    buffers a(s.T, s.B, s.C, s.H);
    lstm_primitive prim(cpu_context(), s.T, s.B, s.C, s.H);
    // correctness first: both implementations, the same gradients
    a.zero_grads();
    a.own_forward();
    a.own_backward();
    const std::vector<float> h_own = a.h, dw_own = a.dw_hh, dx_own = a.dx;
    a.zero_grads();
    a.dnnl_forward(prim, true);
    a.dnnl_backward(prim);
    const double err = std::max({rel_err(a.h, h_own), rel_err(a.dw_hh, dw_own), rel_err(a.dx, dx_own)});
    ok = ok && err < 1e-4;

    const double own_f = median_ms(iters, [&] { a.own_forward(); });
    const double own_fb = median_ms(iters, [&] { a.own_forward(); a.own_backward(); });
    const double dn_f = median_ms(iters, [&] { a.dnnl_forward(prim, true); });
    const double dn_fb = median_ms(iters, [&] { a.dnnl_forward(prim, true); a.dnnl_backward(prim); });
    const double dn_inf = median_ms(iters, [&] { a.dnnl_forward(prim, false); });
    // forward 2*T*B*4H*(C+H), backward twice that
    const double flops = 3.0 * 2.0 * s.T * s.B * 4.0 * s.H * (s.C + s.H);
    char name[64];
    std::snprintf(name, sizeof name, "%d %d %d %d", s.T, s.B, s.C, s.H);
    std::printf("%-22s %10.2f %10.2f %10.2f %10.2f %10.2f %5.0f/%-4.0f %8.1e\n", name, own_f, own_fb, dn_f, dn_fb,
                dn_inf, flops / own_fb * 1e-6, flops / dn_fb * 1e-6, err);
  }
  std::printf("(times in ms; GFLOP/s of forward+backward: own/dnnl)\n");
  bench_model(2, 256, 32, 64, iters);
  bench_model(3, 512, 32, 64, std::max(3, iters / 4));
  if (!ok) std::printf("MISMATCH between the own kernels and the oneDNN primitive\n");
  return ok ? 0 : 1;
}
