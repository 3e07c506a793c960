// lstm_lengths: segment-wise backward through time (see the header).
#include "model/ops/lstm_lengths.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "model/core/check.h"
#include "model/ops/lstm.h"

namespace pluma {

void lstm_backward_lengths(const exec_context& ctx, float* dx, float* dw_ih, float* dw_hh, float* db_ih,
                           float* db_hh, const float* dh, const float* dc_last, const float* x, const float* w_ih,
                           const float* w_hh, const float* h, const float* c, const float* gates, const int* len,
                           float* scratch, int T, int B, int C, int H) {
  const size_t BH = size_t(B) * H, BG = 4 * BH;
  std::vector<int> ends(len, len + B);   // distinct lengths, ascending
  for (int l : ends) PLUMA_CHECK(l >= 1 && l <= T, "lstm_backward_lengths: len must be in [1, T]");
  std::sort(ends.begin(), ends.end());
  ends.erase(std::unique(ends.begin(), ends.end()), ends.end());

  float* lstm_scratch = scratch;                            // (lstm_backward_scratch_floats(T, B, H))
  float* carry_h = scratch + lstm_backward_scratch_floats(T, B, H);  // (B, H) into h at the segment's end
  float* carry_c = carry_h + BH;                            // (B, H) into c at the segment's end
  float* next_h = carry_c + BH;                             // (B, H) into h before the segment
  float* next_c = next_h + BH;                              // (B, H)
  std::memset(carry_h, 0, 2 * BH * sizeof(float));
  // Steps after the longest row's end carry no gradient: start at the last end.
  for (int k = int(ends.size()) - 1; k >= 0; k--) {
    const int a = k > 0 ? ends[k - 1] : 0, e = ends[k];
    if (dc_last) {   // rows ending at e: their final cell-state gradient (their carry is zero)
      for (int b = 0; b < B; b++)
        if (len[b] == e)
          for (int j = 0; j < H; j++) carry_c[size_t(b) * H + j] += dc_last[size_t(b) * H + j];
    }
    std::memset(next_h, 0, 2 * BH * sizeof(float));
    lstm_backward(ctx, dx + size_t(a) * B * C, a > 0 ? next_h : nullptr, a > 0 ? next_c : nullptr, dw_ih, dw_hh,
                  db_ih, db_hh, dh + a * BH, carry_h, carry_c, x + size_t(a) * B * C,
                  a > 0 ? h + (a - 1) * BH : nullptr, a > 0 ? c + (a - 1) * BH : nullptr, w_ih, w_hh, h + a * BH,
                  c + a * BH, gates + a * BG, lstm_scratch, e - a, B, C, H);
    std::swap(carry_h, next_h);
    std::swap(carry_c, next_c);
  }
}

}  // namespace pluma
