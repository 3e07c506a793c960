// The LSTM LM's buffers at one (B, T), carved from one arena. Everything is time-major: row t*B + b is
// sequence b at step t, so each step's B rows are contiguous for the recurrent matmul.
#pragma once
#include <cstddef>

#include "model/rnn/lstm_config.h"

namespace pluma {

struct lstm_activations {
  int B = 0, T = 0;
  bool training = false;           // the dropout and backward buffers exist
  int* tokens = nullptr;           // (T, B) inputs, time-major
  int* targets = nullptr;          // (T, B)
  float* emb = nullptr;            // (T, B, E)
  float* h = nullptr;              // (L, T, B, H) each layer's outputs
  float* c = nullptr;              // (L, T, B, H) cell states (own kernels only)
  float* gates = nullptr;          // (L, T, B, 4H) activated gates (i, f, g, o) (own kernels only)
  float* drop = nullptr;           // (L, T, B, H) dropout(h) of each layer (training, dropout > 0)
  float* mask = nullptr;           // (L, T, B, H) its masks
  float* h0 = nullptr;             // (L, B, H) the initial state of this batch
  float* c0 = nullptr;             // (L, B, H)
  float* hT = nullptr;             // (L, B, H) the final state
  float* cT = nullptr;             // (L, B, H)
  float* logits = nullptr;         // (T, B, V)
  float* probs = nullptr;          // (T, B, V)
  float* losses = nullptr;         // (T, B)
  float* scratch = nullptr;        // (lstm_forward_scratch_floats(B, H))
};

// Gradient buffers of backward (training only).
struct lstm_grad_scratch {
  float* dlosses = nullptr;        // (T, B)
  float* dlogits = nullptr;        // (T, B, V)
  float* dtop = nullptr;           // (T, B, max(E, H)) gradient of a layer's output (after dropout)
  float* dh = nullptr;             // (T, B, max(E, H)) gradient of a layer's input; swapped with dtop per layer
  float* dh0 = nullptr;            // (L, B, H) gradient of the initial state
  float* dc0 = nullptr;            // (L, B, H)
  float* scratch = nullptr;        // (lstm_backward_scratch_floats(T, B, H)) (own kernels only)
};

// Sets the pointers from base (nullptr: only count) and returns the floats needed. own_kernels: the LSTM
// layers run on lstm_forward/lstm_backward (which save c and gates), not on lstm_primitive.
size_t lstm_activations_layout(lstm_activations& a, float* base, const lstm_config& c, int B, int T,
                               bool training, bool own_kernels);
size_t lstm_grad_scratch_layout(lstm_grad_scratch& g, float* base, const lstm_config& c, int B, int T,
                                bool own_kernels);

}  // namespace pluma
