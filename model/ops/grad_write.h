// How a backward op treats a gradient it produces: adds into it, or writes over it, so that the caller need not
// zero it first. An input gradient is added into where a caller sums several branches' parts there; a
// parameter gradient is added into on every micro-batch of a step but the first (they sum over gradient
// accumulation), which may write it (trainable::discard_grads).
#pragma once

namespace pluma {

enum class grad_write { add, overwrite };

}  // namespace pluma
