#include "model/ops/cpu/matmul_panels.h"

#include <algorithm>
#include <cstring>
#include <vector>

#ifdef __AVX512BF16__
#include <immintrin.h>
#endif

#include "model/core/check.h"
#include "model/ops/cpu/backend.h"
#include "model/ops/cpu/decode_team.h"
#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/vec_math.h"

namespace pluma::cpu {

// The packed copy is a sequence of runs (groups of panels_per_run panels, fewer in the last one). A run of np
// panels holds, for each column c (bf16: each column pair), np * 16 consecutive entries: panel p's 16 outputs
// at p * 16. A call thus reads each run from its start to its end.
namespace {

constexpr int run_width = panels_per_run * panel_width;   // outputs per run

int run_count(int OC) { return (OC + run_width - 1) / run_width; }
int panels_in_run(int OC, int r) { return std::min(panels_per_run, panel_count(OC) - r * panels_per_run); }

// Writes s (16 sums of panel outputs o0 ..) + bias into out, the outputs below OC only.
inline void store_panel(float* out, vec16 s, const float* bias, int o0, int OC) {
  const int k = std::min(panel_width, OC - o0);
  if (k == panel_width) {
    if (bias) s += vec_load(bias + o0);
    vec_store(out + o0, s);
  } else {
    for (int j = 0; j < k; j++) out[o0 + j] = s[j] + (bias ? bias[o0 + j] : 0.0f);
  }
}

// Column pair j of a bf16 row: its two values in one 32-bit word, column 2j in the low half.
inline uint32_t pair_at(const uint16_t* x, int j) {
  uint32_t v;
  std::memcpy(&v, x + 2 * j, sizeof v);
  return v;
}

// Panels [p0, p0 + P) of a run of NP panels (w: the run's start), for R input rows (x: row stride ldx) into R
// output rows (out: row stride ldo), o0 being the run's first output. Two sums per output, of the even and of
// the odd columns, added at the end: the same order whatever P and R, so that a row gets the same result
// alone (a decoding step: P = NP, R = 1) as in a block of rows (a prefill: P <= 2, R <= 4, 16 sums in
// registers, each weight load used R times).
template <int NP, int P, int R>
void run_f32(float* out, long ldo, const float* x, long ldx, const float* w, int C, const float* bias, int o0,
             int p0, int OC) {
  constexpr int W = NP * panel_width;   // floats per column
  w += p0 * panel_width;
  vec16 a[R][P] = {}, b[R][P] = {};
  int c = 0;
  for (; c + 2 <= C; c += 2) {
    const float* col = w + long(c) * W;
    vec16 w0[P], w1[P];
    for (int p = 0; p < P; p++) {
      w0[p] = vec_load(col + p * panel_width);
      w1[p] = vec_load(col + W + p * panel_width);
    }
    for (int r = 0; r < R; r++) {
      const vec16 x0 = vec_splat(x[r * ldx + c]), x1 = vec_splat(x[r * ldx + c + 1]);
      for (int p = 0; p < P; p++) {
        a[r][p] += w0[p] * x0;
        b[r][p] += w1[p] * x1;
      }
    }
  }
  if (c < C)
    for (int r = 0; r < R; r++) {
      const vec16 x0 = vec_splat(x[r * ldx + c]);
      for (int p = 0; p < P; p++) a[r][p] += vec_load(w + long(c) * W + p * panel_width) * x0;
    }
  for (int r = 0; r < R; r++)
    for (int p = 0; p < P; p++)
      store_panel(out + r * ldo, a[r][p] + b[r][p], bias, o0 + (p0 + p) * panel_width, OC);
}

// The same in bfloat16: x rows of C2 column pairs (zero past C), each pair's two products summed into the
// panel's 16 fp32 sums (vdpbf16ps), two sums per output (even and odd pairs).
#ifdef __AVX512BF16__
template <int NP, int P, int R>
void run_bf16(float* out, long ldo, const uint16_t* x, long ldx, const uint16_t* w, int C2, const float* bias,
              int o0, int p0, int OC) {
  constexpr int W = NP * 2 * panel_width;   // bf16 values per column pair
  w += p0 * 2 * panel_width;
  __m512 a[R][P], b[R][P];
  for (int r = 0; r < R; r++)
    for (int p = 0; p < P; p++) a[r][p] = b[r][p] = _mm512_setzero_ps();
  int j = 0;
  for (; j + 2 <= C2; j += 2) {
    const uint16_t* col = w + long(j) * W;
    __m512bh w0[P], w1[P];
    for (int p = 0; p < P; p++) {
      w0[p] = (__m512bh)_mm512_load_si512(col + p * 2 * panel_width);
      w1[p] = (__m512bh)_mm512_load_si512(col + W + p * 2 * panel_width);
    }
    for (int r = 0; r < R; r++) {
      const __m512bh x0 = (__m512bh)_mm512_set1_epi32(int(pair_at(x + r * ldx, j)));
      const __m512bh x1 = (__m512bh)_mm512_set1_epi32(int(pair_at(x + r * ldx, j + 1)));
      for (int p = 0; p < P; p++) {
        a[r][p] = _mm512_dpbf16_ps(a[r][p], w0[p], x0);
        b[r][p] = _mm512_dpbf16_ps(b[r][p], w1[p], x1);
      }
    }
  }
  if (j < C2)
    for (int r = 0; r < R; r++) {
      const __m512bh x0 = (__m512bh)_mm512_set1_epi32(int(pair_at(x + r * ldx, j)));
      for (int p = 0; p < P; p++)
        a[r][p] = _mm512_dpbf16_ps(a[r][p], (__m512bh)_mm512_load_si512(w + long(j) * W + p * 2 * panel_width), x0);
    }
  for (int r = 0; r < R; r++)
    for (int p = 0; p < P; p++) {
      vec16 s;
      const __m512 t = _mm512_add_ps(a[r][p], b[r][p]);
      std::memcpy(&s, &t, sizeof s);
      store_panel(out + r * ldo, s, bias, o0 + (p0 + p) * panel_width, OC);
    }
}
#else
typedef uint32_t uvec16 __attribute__((vector_size(vec_width * sizeof(uint32_t))));

// Without AVX512-BF16: each 32-bit entry's halves widened to the two columns' floats.
template <int NP, int P, int R>
void run_bf16(float* out, long ldo, const uint16_t* x, long ldx, const uint16_t* w, int C2, const float* bias,
              int o0, int p0, int OC) {
  constexpr int W = NP * 2 * panel_width;
  w += p0 * 2 * panel_width;
  vec16 a[R][P] = {}, b[R][P] = {};
  for (int j = 0; j < C2; j++)
    for (int p = 0; p < P; p++) {
      uvec16 u;
      std::memcpy(&u, w + long(j) * W + p * 2 * panel_width, sizeof u);
      const uvec16 lo = u << 16, hi = u & 0xffff0000u;
      vec16 wlo, whi;
      std::memcpy(&wlo, &lo, sizeof wlo);
      std::memcpy(&whi, &hi, sizeof whi);
      for (int r = 0; r < R; r++) {
        const uint32_t xp = pair_at(x + r * ldx, j);
        a[r][p] += wlo * std::bit_cast<float>(xp << 16);
        b[r][p] += whi * std::bit_cast<float>(xp & 0xffff0000u);
      }
    }
  for (int r = 0; r < R; r++)
    for (int p = 0; p < P; p++) store_panel(out + r * ldo, a[r][p] + b[r][p], bias, o0 + (p0 + p) * panel_width, OC);
}
#endif

// Calls k.template operator()<R>() with R = n (1 to 4).
template <class K>
void with_rows(int n, K&& k) {
  switch (n) {
    case 4: k.template operator()<4>(); break;
    case 3: k.template operator()<3>(); break;
    case 2: k.template operator()<2>(); break;
    default: k.template operator()<1>(); break;
  }
}

// One run of NP panels for all N rows: kern.template operator()<NP, P, R>(p0, r0) over blocks of it. One row
// (a decoding step) takes the whole run at once; more take blocks of 4 rows by 2 panels.
template <int NP, class Kern>
void run_rows(int N, Kern&& kern) {
  if (N == 1) {
    kern.template operator()<NP, NP, 1>(0, 0);
    return;
  }
  for (int r0 = 0; r0 < N; r0 += 4)
    with_rows(std::min(4, N - r0), [&]<int R>() {
      for (int p0 = 0; p0 < NP; p0 += 2) {
        if constexpr (NP >= 2)
          if (p0 + 2 <= NP) {
            kern.template operator()<NP, 2, R>(p0, r0);
            continue;
          }
        kern.template operator()<NP, 1, R>(p0, r0);
      }
    });
}

// Runs [r0, r1) of the packed matrix, every input row.
template <class Kern>
void for_runs(long r0, long r1, int N, int OC, Kern&& kern) {
  for (long r = r0; r < r1; r++) {
    const int run = int(r);
    auto at = [&]<int NP, int P, int R>(int p0, int n0) { kern.template operator()<NP, P, R>(run, p0, n0); };
    switch (panels_in_run(OC, run)) {
      case 4: run_rows<4>(N, at); break;
      case 3: run_rows<3>(N, at); break;
      case 2: run_rows<2>(N, at); break;
      default: run_rows<1>(N, at); break;
    }
  }
}
static_assert(panels_per_run == 4, "for_runs instantiates runs of 1 to 4 panels");

}  // namespace

namespace {

// Row o of W (C floats): in a, or gathered from a and b into buf.
const float* source_row(const panel_source& w, int o, int C, std::vector<float>& buf) {
  if (w.ca >= C) return w.a + size_t(o) * C;
  buf.resize(size_t(C));
  std::copy_n(w.a + size_t(o) * w.ca, w.ca, buf.data());
  std::copy_n(w.b + size_t(o) * (C - w.ca), C - w.ca, buf.data() + w.ca);
  return buf.data();
}

}  // namespace

void pack_panels(float* dst, const panel_source& w, int OC, int C) {
  std::vector<float> buf;
  for (int o = 0; o < OC; o++) {
    const float* row = source_row(w, o, C, buf);
    const int r = o / run_width, np = panels_in_run(OC, r);
    float* run = dst + size_t(r) * run_width * C;
    for (int c = 0; c < C; c++) run[size_t(c) * np * panel_width + o % run_width] = row[c];
  }
}

void pack_panels_bf16(uint16_t* dst, const panel_source& w, int OC, int C) {
  const int C2 = (C + 1) / 2;
  std::vector<float> buf;
  std::vector<uint16_t> row(static_cast<size_t>(C));
  for (int o = 0; o < OC; o++) {
    to_bf16(row.data(), source_row(w, o, C, buf), size_t(C));
    const int r = o / run_width, np = panels_in_run(OC, r);
    uint16_t* run = dst + size_t(r) * run_width * 2 * C2;
    for (int c = 0; c < C; c++) run[(size_t(c / 2) * np * panel_width + o % run_width) * 2 + c % 2] = row[size_t(c)];
  }
}

void matmul_panels(float* out, const float* inp, const float* packed, const float* bias, int N, int C, int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_panels: bad dimensions");
  team_for_range(run_count(OC), long(N) * C * OC, [&](long r0, long r1) {
    for_runs(r0, r1, N, OC, [&]<int NP, int P, int R>(int run, int p0, int n0) {
      run_f32<NP, P, R>(out + long(n0) * OC, OC, inp + long(n0) * C, C, packed + long(run) * run_width * C, C, bias,
                        run * run_width, p0, OC);
    });
  });
}

void matmul_panels_bf16(float* out, const float* inp, const uint16_t* packed, const float* bias, int N, int C,
                        int OC) {
  PLUMA_CHECK(N >= 0 && C > 0 && OC > 0, "matmul_panels_bf16: bad dimensions");
  const int C2 = (C + 1) / 2;
  thread_local std::vector<uint16_t> x16;   // (N, 2 * C2) the rows in bfloat16, zero past C
  if (x16.size() < size_t(N) * 2 * C2) x16.resize(size_t(N) * 2 * C2);
  for (int n = 0; n < N; n++) {
    uint16_t* row = x16.data() + size_t(n) * 2 * C2;
    to_bf16(row, inp + long(n) * C, size_t(C));
    if (C % 2) row[C] = 0;   // the last pair's second half
  }
  const uint16_t* xs = x16.data();   // this thread's buffer, read by every member of the loop below
  team_for_range(run_count(OC), long(N) * C * OC, [&](long r0, long r1) {
    for_runs(r0, r1, N, OC, [&]<int NP, int P, int R>(int run, int p0, int n0) {
      run_bf16<NP, P, R>(out + long(n0) * OC, OC, xs + long(n0) * 2 * C2, 2 * C2,
                         packed + long(run) * run_width * 2 * C2, C2, bias, run * run_width, p0, OC);
    });
  });
}

void matmul_decode(const exec_context&, float* out, const float* inp, const decode_matrix& w, const float* bias,
                   int N) {
  if (w.bf16)
    matmul_panels_bf16(out, inp, w.bf16, bias, N, w.cols, w.rows);
  else
    matmul_panels(out, inp, w.f32, bias, N, w.cols, w.rows);
}

}  // namespace pluma::cpu
