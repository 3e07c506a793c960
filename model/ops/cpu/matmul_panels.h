// Decoding's matmul against weights packed in panels: out (N, OC) = inp (N, C) · Wᵀ + bias for a handful of
// rows, W (OC, C) rearranged once (when decoding starts) so that a call reads it front to back in one stream.
//
// A panel holds 16 outputs (rows of W): for each input column c, the 16 weights W[o][c] side by side (fp32:
// 64 bytes), or in bfloat16 for each pair of columns the 16 pairs (W[o][c], W[o][c+1]), also 64 bytes, which
// is the operand layout of AVX512-BF16's dot product. A product is then a broadcast of x[c] (or of the pair
// x[c], x[c+1]) times one vector of the panel, summed into 16 outputs at once: no horizontal sums, and one
// sequential stream instead of the eight strided rows of cpu/matmul_rows.h's dot_rows8. On the project's VM
// this reads a baby GPT's 3.1 MB of fp32 weights at 92 GB/s on one core, against 69 GB/s for the rows
// (bf16: 90 against 58 GB/s, 46 when the rows were not 64-byte aligned).
//
// Each panel's sums run in a fixed order whatever the thread count or the team's piece bounds (runs of
// panels_per_run panels start at multiples of it), so decoding is deterministic.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pluma::cpu {

constexpr int panel_width = 16;      // outputs per panel
constexpr int panels_per_run = 4;    // panels that share each broadcast of x

inline int panel_count(int OC) { return (OC + panel_width - 1) / panel_width; }
// Elements (floats, or bf16 values) of the packed copy of an (OC, C) matrix: whole panels, bf16 columns
// padded to an even count. 64 bytes a row of a panel (16 floats, or 16 bf16 pairs), so that copies laid end
// to end stay 64-byte aligned.
inline size_t panels_size(int OC, int C, bool bf16) {
  return size_t(panel_count(OC)) * panel_width * size_t(bf16 ? (C + 1) / 2 * 2 : C);
}

// The matrix W (OC, C) to pack: the columns of a (OC, ca), then, for ca < C, those of b (OC, C - ca) beside them
// (an LSTM's [W_ih | W_hh], packed without a joined copy).
struct panel_source {
  const float* a;
  int ca;
  const float* b = nullptr;
};

// dst: (panels_size(OC, C, false)) floats, zero on entry (the padding stays so). W: (OC, C) as w says.
void pack_panels(float* dst, const panel_source& w, int OC, int C);
// dst: (panels_size(OC, C, true)) bfloat16 bits (cpu::to_bf16's rounding), zero on entry.
void pack_panels_bf16(uint16_t* dst, const panel_source& w, int OC, int C);

// out: (N, OC) = inp: (N, C) · Wᵀ + bias (OC, or nullptr), W packed by pack_panels (64-byte aligned). On the
// decode team (cpu/decode_team.h) over runs of panels, every input row per run.
void matmul_panels(float* out, const float* inp, const float* packed, const float* bias, int N, int C, int OC);
// The same against pack_panels_bf16's copy, the inputs rounded to bfloat16, products summed in fp32.
void matmul_panels_bf16(float* out, const float* inp, const uint16_t* packed, const float* bias, int N, int C,
                        int OC);

}  // namespace pluma::cpu
