// LSTM layer on the CPU with own kernels: the projections go through the matmul op (oneDNN), the cell
// pointwise is one fused OpenMP loop per step. See model/ops/lstm.h for the equations and shapes.
#include "model/ops/cpu/lstm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "model/core/check.h"
#include "model/ops/cpu/decode_team.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/matmul_rows.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/matmul.h"

namespace pluma::cpu {
namespace {

// Below this many cells per step the OpenMP fork costs more than the work (then no region at all).
constexpr long parallel_cells = 8192;
// Up to this many sequences a decoding step computes its gates with dot products rather than matmuls.
constexpr int small_batch = 4;

// gates: (B, 4H) in: x·W_ihᵀ + b_ih; out: activated (i, f, g, o). rec: (B, 4H) h_{t-1}·W_hhᵀ or nullptr;
// b_hh: (4H); c_prev: (B, H) or nullptr; c_out, h_out: (B, H) (c_out may alias c_prev)
void cell_forward(float* gates, float* c_out, float* h_out, const float* rec, const float* b_hh,
                  const float* c_prev, int B, int H) {
  const int G = 4 * H;
  parallel_for_range(B, long(B) * H >= parallel_cells ? long(B) * G : 0, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) {
      float* g = gates + size_t(b) * G;
      const float* r = rec ? rec + size_t(b) * G : nullptr;
      if (r) {
#pragma omp simd
        for (int k = 0; k < G; k++) g[k] += r[k] + b_hh[k];
      } else {
#pragma omp simd
        for (int k = 0; k < G; k++) g[k] += b_hh[k];
      }
#pragma omp simd
      for (int k = 0; k < 2 * H; k++) g[k] = lstm_sigmoid(g[k]);            // i, f
#pragma omp simd
      for (int k = 2 * H; k < 3 * H; k++) g[k] = lstm_tanh(g[k]);           // g
#pragma omp simd
      for (int k = 3 * H; k < G; k++) g[k] = lstm_sigmoid(g[k]);            // o
      const float* cp = c_prev ? c_prev + size_t(b) * H : nullptr;
      float* cb = c_out + size_t(b) * H;
      float* hb = h_out + size_t(b) * H;
#pragma omp simd
      for (int j = 0; j < H; j++) {
        float ct = g[j] * g[2 * H + j] + (cp ? g[H + j] * cp[j] : 0.0f);
        cb[j] = ct;
        hb[j] = g[3 * H + j] * lstm_tanh(ct);
      }
    }
  }, 1);
}

// One step back through the cell. dgates: (B, 4H) out; dc: (B, H) in: gradient flowing into c_t from
// step t+1, out: into c_{t-1}; dh_out: (B, H) gradient of the output h_t; dh_rec: (B, H) gradient into h_t
// from step t+1 (or from the final state) or nullptr; gates: (B, 4H) activated; c: (B, H) c_t;
// c_prev: (B, H) c_{t-1} or nullptr (zeros)
void cell_backward(float* dgates, float* dc, const float* dh_out, const float* dh_rec, const float* gates,
                   const float* c, const float* c_prev, int B, int H) {
  const int G = 4 * H;
  parallel_for_range(B, long(B) * H >= parallel_cells ? long(B) * G : 0, [&](long b0, long b1) {
    for (long b = b0; b < b1; b++) {
      const float* g = gates + size_t(b) * G;
      float* dg = dgates + size_t(b) * G;
      const float* dho = dh_out + size_t(b) * H;
      const float* dhr = dh_rec ? dh_rec + size_t(b) * H : nullptr;
      const float* cb = c + size_t(b) * H;
      const float* cp = c_prev ? c_prev + size_t(b) * H : nullptr;
      float* dcb = dc + size_t(b) * H;
#pragma omp simd
      for (int j = 0; j < H; j++) {
        float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
        float dht = dho[j] + (dhr ? dhr[j] : 0.0f);
        float tc = lstm_tanh(cb[j]);
        float dct = dcb[j] + dht * o * (1.0f - tc * tc);
        float cpj = cp ? cp[j] : 0.0f;
        dg[j] = dct * gg * i * (1.0f - i);
        dg[H + j] = dct * cpj * f * (1.0f - f);
        dg[2 * H + j] = dct * i * (1.0f - gg * gg);
        dg[3 * H + j] = dht * tc * o * (1.0f - o);
        dcb[j] = dct * f;
      }
    }
  }, 1);
}

// A few sequences' step (seq2seq decoding, translation) is bound by reading the weights, which a GEMM library
// re-packs on every call: gates (B, 4H) = x·W_ihᵀ + b_ih + h_prev·W_hhᵀ in one pass over both matrices, every
// row used for all B. Blocks of 8 gate rows (cpu/matmul_rows.h's dot_rows8) on the decode team
// (cpu/decode_team.h), as matmul_rows. (An LSTM LM's decoding packs its weights instead: model/ops/matmul_decode.h.)
// x: (B, C); h_prev: (B, H), or nullptr; w_ih: (4H, C); w_hh: (4H, H); b_ih: (4H)
void small_batch_gates(float* gates, const float* x, const float* h_prev, const float* w_ih, const float* w_hh,
                       const float* b_ih, int B, int C, int H) {
  const int G = 4 * H;
  team_for_range((G + 7) / 8, long(G) * (C + H) * B, [&](long k0, long k1) {
    for (long blk = k0; blk < k1; blk++) {
      const int k = static_cast<int>(blk * 8), rows = std::min(8, G - k);
      for (int b = 0; b < B; b++) {
        float* g = gates + size_t(b) * G + k;
        float rec[8];
        dot_rows8(g, x + size_t(b) * C, w_ih + size_t(k) * C, C, C, rows);
        if (h_prev) dot_rows8(rec, h_prev + size_t(b) * H, w_hh + size_t(k) * H, H, H, rows);
        for (int r = 0; r < rows; r++) g[r] += b_ih[k + r] + (h_prev ? rec[r] : 0.0f);
      }
    }
  });
}

void add_into(float* dst, const float* src, size_t n) {
#pragma omp simd
  for (size_t k = 0; k < n; k++) dst[k] += src[k];
}

}  // namespace

void lstm_forward(const exec_context& ctx, float* h, float* c, float* gates, float* hT, float* cT,
                  const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                  const float* b_ih, const float* b_hh, float* scratch, int T, int B, int C, int H) {
  PLUMA_CHECK(T > 0 && B > 0 && C > 0 && H > 0, "lstm_forward: dimensions must be positive");
  const size_t BH = size_t(B) * H, BG = size_t(B) * 4 * H;
  float* rec = scratch;  // (B, 4H)
  // the input projection of every step at once: gates = x·W_ihᵀ + b_ih   (T*B, 4H)
  matmul_forward(ctx, gates, x, w_ih, b_ih, T * B, C, 4 * H);
  for (int t = 0; t < T; t++) {
    const float* h_prev = t > 0 ? h + (t - 1) * BH : h0;
    const float* c_prev = t > 0 ? c + (t - 1) * BH : c0;
    if (h_prev) matmul_forward(ctx, rec, h_prev, w_hh, nullptr, B, H, 4 * H);
    cell_forward(gates + t * BG, c + t * BH, h + t * BH, h_prev ? rec : nullptr, b_hh, c_prev, B, H);
  }
  if (hT) std::memcpy(hT, h + (T - 1) * BH, BH * sizeof(float));
  if (cT) std::memcpy(cT, c + (T - 1) * BH, BH * sizeof(float));
}

void lstm_backward(const exec_context& ctx, float* dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh,
                   float* db_ih, float* db_hh, const float* dh, const float* dhT, const float* dcT,
                   const float* x, const float* h0, const float* c0, const float* w_ih, const float* w_hh,
                   const float* h, const float* c, const float* gates, float* scratch, int T, int B, int C,
                   int H) {
  PLUMA_CHECK(T > 0 && B > 0 && C > 0 && H > 0, "lstm_backward: dimensions must be positive");
  const int G = 4 * H;
  const size_t BH = size_t(B) * H, BG = size_t(B) * G;
  float* dgates = scratch;                   // (T, B, 4H)
  float* w_hh_t = dgates + T * BG;           // (H, 4H) W_hh transposed, so dh_{t-1} = dgates_t·W_hh is a matmul_forward
  float* dh_rec = w_hh_t + size_t(H) * G;    // (B, H) gradient into h_t from step t+1
  float* dc = dh_rec + BH;                   // (B, H) gradient into c_t from step t+1
  float* db = dc + BH;                       // (4H) bias gradient, shared by b_ih and b_hh
#pragma omp parallel for if (long(H) * G >= parallel_cells)
  for (int j = 0; j < H; j++)
    for (int k = 0; k < G; k++) w_hh_t[size_t(j) * G + k] = w_hh[size_t(k) * H + j];
  if (dhT) std::memcpy(dh_rec, dhT, BH * sizeof(float));
  else std::memset(dh_rec, 0, BH * sizeof(float));
  if (dcT) std::memcpy(dc, dcT, BH * sizeof(float));
  else std::memset(dc, 0, BH * sizeof(float));

  for (int t = T - 1; t >= 0; t--) {
    const float* c_prev = t > 0 ? c + (t - 1) * BH : c0;
    float* dg = dgates + t * BG;
    cell_backward(dg, dc, dh + t * BH, dh_rec, gates + t * BG, c + t * BH, c_prev, B, H);
    if (t > 0 || dh0) matmul_forward(ctx, dh_rec, dg, w_hh_t, nullptr, B, G, H);
  }
  if (dh0) add_into(dh0, dh_rec, BH);
  if (dc0) add_into(dc0, dc, BH);

  // weight gradients of all steps at once
  std::memset(db, 0, G * sizeof(float));
  matmul_backward(ctx, dx, dw_ih, db, dgates, x, w_ih, T * B, C, G);
  if (T > 1) matmul_backward(ctx, nullptr, dw_hh, nullptr, dgates + BG, h, w_hh, (T - 1) * B, H, G);
  if (h0) matmul_backward(ctx, nullptr, dw_hh, nullptr, dgates, h0, w_hh, B, H, G);
  add_into(db_ih, db, G);
  add_into(db_hh, db, G);
}

void lstm_step(const exec_context& ctx, float* h_out, float* c_out, const float* x, const float* h_prev,
               const float* c_prev, const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
               float* scratch, int B, int C, int H) {
  float* gates = scratch;                    // (B, 4H)
  float* rec = scratch + size_t(B) * 4 * H;  // (B, 4H)
  if (B <= small_batch) {
    small_batch_gates(gates, x, h_prev, w_ih, w_hh, b_ih, B, C, H);
    cell_forward(gates, c_out, h_out, nullptr, b_hh, c_prev, B, H);
    return;
  }
  matmul_forward(ctx, gates, x, w_ih, b_ih, B, C, 4 * H);
  if (h_prev) matmul_forward(ctx, rec, h_prev, w_hh, nullptr, B, H, 4 * H);
  cell_forward(gates, c_out, h_out, h_prev ? rec : nullptr, b_hh, c_prev, B, H);
}

void lstm_cell_forward(const exec_context&, float* gates, float* c_out, float* h_out, const float* rec,
                       const float* b_hh, const float* c_prev, int B, int H) {
  cell_forward(gates, c_out, h_out, rec, b_hh, c_prev, B, H);
}

void lstm_cell_backward(const exec_context&, float* dgates, float* dc, const float* dh_out, const float* dh_rec,
                        const float* gates, const float* c, const float* c_prev, int B, int H) {
  cell_backward(dgates, dc, dh_out, dh_rec, gates, c, c_prev, B, H);
}

}  // namespace pluma::cpu
