// The CPU's lanes (model/ops/lanes.h): the runner lives beside the GEMMs, whose lock it bypasses.
#include "model/ops/lanes.h"

#include "model/ops/cpu/gemm.h"
#include "model/ops/cpu/parallel.h"
#include "model/ops/op_profile.h"

namespace pluma {

int lanes_max() { return cpu::lanes_max; }

int lanes_run(int n, const std::function<void(int)>& lane) { return cpu::run_lanes(n, lane); }

void lanes_sum_into(float* dst, const std::vector<const float*>& srcs, long N) {
  op_profile_scope profile("lanes_sum_into");
  const long work = N * long(srcs.size() + 1);
  cpu::parallel_for_range(N, work, [&](long i0, long i1) {
    for (const float* s : srcs)
      for (long i = i0; i < i1; i++) dst[i] += s[i];
  });
}

}  // namespace pluma
