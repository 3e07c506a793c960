// How a backward op treats an input gradient: adds into it (for a caller that sums several branches' parts
// there), or writes over it, so that the caller need not zero it first. Parameter gradients are always added
// into (they sum over the steps of gradient accumulation).
#pragma once

namespace pluma {

enum class grad_write { add, overwrite };

}  // namespace pluma
