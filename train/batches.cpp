#include "train/batches.h"

namespace pluma {

fixed_batches fixed_batches_draw(batch_sampler& sampler, int count) {
  fixed_batches fb;
  fb.count = count;
  fb.B = sampler.batch();
  fb.T = sampler.context();
  size_t n = static_cast<size_t>(fb.B) * fb.T;
  fb.inputs.resize(n * count);
  fb.targets.resize(n * count);
  for (int i = 0; i < count; i++) sampler.next(fb.inputs.data() + i * n, fb.targets.data() + i * n);
  return fb;
}

}  // namespace pluma
