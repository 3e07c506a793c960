// A product's operand as its caller holds it: fp32 values, or, under bf16 products on the CPU (matmul.h), their
// bfloat16 copy (cpu::to_bf16's rounding: nearest, ties to even). A caller that keeps the copy (a layer's weights,
// rounded once a step; an activation that only feeds products, written in bf16 by its producer) spares every
// product that reads it a rounding pass, forward and backward. Exactly one pointer is set; a plain pointer
// stands for fp32, so callers that keep no copies pass their pointers as before.
#pragma once
#include <cstdint>

namespace pluma {

// What a product reads.
struct operand {
  const float* f32 = nullptr;
  const uint16_t* bf16 = nullptr;
  operand(const float* p) : f32(p) {}           // NOLINT: implicit, a plain pointer is fp32
  explicit operand(const uint16_t* p) : bf16(p) {}
  bool is_bf16() const { return bf16 != nullptr; }
  operand offset(long n) const { return bf16 ? operand(bf16 + n) : operand(f32 + n); }
};

// What a producer writes: its output in fp32, or rounded to bfloat16 alone (CPU only).
struct operand_out {
  float* f32 = nullptr;
  uint16_t* bf16 = nullptr;
  operand_out() = default;
  operand_out(float* p) : f32(p) {}             // NOLINT: implicit, a plain pointer is fp32
  explicit operand_out(uint16_t* p) : bf16(p) {}
  bool is_bf16() const { return bf16 != nullptr; }
  operand_out offset(long n) const { return bf16 ? operand_out(bf16 + n) : operand_out(f32 + n); }
  operand in() const { return bf16 ? operand(static_cast<const uint16_t*>(bf16)) : operand(f32); }
};

}  // namespace pluma
