// Limits every model config checks before anything is built, so that a config from a command line or a
// checkpoint (which may be hostile) can never make the size table or the kernels' 32-bit indexing overflow.
#pragma once

namespace pluma {

constexpr int max_layers = 1024;   // --layers of a GPT or an LSTM, a translator's encoder layers

}  // namespace pluma
