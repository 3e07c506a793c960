// Helpers of the CPU<->CUDA parity test (tests/test_cuda_parity.cpp): the GPU probe, the normalized error,
// an op case's buffers on the device (outputs and saved buffers poisoned with NaN, so an element a kernel never
// writes fails), running a case on either backend and comparing every buffer.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "model/core/arena.h"
#include "model/core/device_arena.h"
#include "model/core/exec.h"
#include "tests/op_cases.h"

namespace pluma::op_test {

struct gpu_probe {
  bool ok = false;
  std::string why;
};

inline const gpu_probe& gpu() {
  static const gpu_probe probe = [] {
    gpu_probe p;
    p.ok = cuda_available(p.why);
    return p;
  }();
  return probe;
}

inline bool no_gpu() { return !gpu().ok; }

// ||a - b|| / max(||a||, ||b||) in double; +inf when either holds a NaN or an infinity (unwritten poison)
inline double parity_error(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double diff = 0.0, na = 0.0, nb = 0.0;
  for (size_t i = 0; i < a.size(); i++) {
    const double x = a[i], y = b[i];
    if (!std::isfinite(x) || !std::isfinite(y)) return std::numeric_limits<double>::infinity();
    diff += (x - y) * (x - y);
    na += x * x;
    nb += y * y;
  }
  const double denom = std::sqrt(std::max(na, nb));
  return denom == 0.0 ? 0.0 : std::sqrt(diff) / denom;
}

// A case's buffers on the device, mirroring op_host_data.
struct device_case_data {
  std::vector<device_buffer> in, din, out, dout, saved, ints;

  op_args args() const {
    op_args a;
    for (size_t i = 0; i < in.size(); i++) {
      a.in.push_back(in[i].as<float>());
      a.din.push_back(din[i].as<float>());   // nullptr where the input has no gradient
    }
    for (const auto& b : ints) a.ints.push_back(b.as<const int>());
    for (const auto& b : out) a.out.push_back(b.as<float>());
    for (const auto& b : dout) a.dout.push_back(b.as<float>());
    for (const auto& b : saved) a.saved.push_back(b.as<float>());
    return a;
  }
};

template <class T>
inline device_buffer to_device(const exec_context& ctx, const std::vector<T>& v) {
  device_buffer b;
  const status st = b.allocate(v.size() * sizeof(T));
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  device_copy_to(ctx, b.data(), v.data(), v.size() * sizeof(T));
  return b;
}

inline device_buffer poisoned(const exec_context& ctx, size_t n) {
  device_buffer b;
  const status st = b.allocate(n * sizeof(float));
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  device_memset(ctx, b.data(), 0xFF, n * sizeof(float));   // every float a NaN
  return b;
}

inline device_case_data upload(const exec_context& ctx, const op_host_data& h) {
  device_case_data d;
  for (const auto& v : h.in) d.in.push_back(to_device(ctx, v));
  for (const auto& v : h.din) d.din.push_back(to_device(ctx, v));   // empty -> no buffer (nullptr)
  for (const auto& v : h.ints) d.ints.push_back(to_device(ctx, v));
  for (const auto& v : h.out) d.out.push_back(poisoned(ctx, v.size()));
  for (const auto& v : h.dout) d.dout.push_back(to_device(ctx, v));
  for (const auto& v : h.saved) d.saved.push_back(poisoned(ctx, v.size()));
  return d;
}

inline void download(const exec_context& ctx, const std::vector<device_buffer>& from, std::vector<std::vector<float>>& to) {
  for (size_t i = 0; i < to.size(); i++) device_copy_from(ctx, to[i].data(), from[i].data(), to[i].size() * sizeof(float));
}

// The case's host data with the gradients starting as noise, so a backward that overwrites instead of
// adding fails the comparison.
inline op_host_data start_data(const op_case& c) {
  op_host_data d = make_host_data(c);
  for (size_t i = 0; i < d.din.size(); i++)
    for (size_t j = 0; j < d.din[i].size(); j++) d.din[i][j] = 0.5f * std::sin(3.0f * j + i);
  return d;
}

// Runs the case's forward (and backward) on `ctx` over device copies of `start`; returns the results.
inline op_host_data run_on_gpu(const op_case& c, const exec_context& ctx, const op_host_data& start) {
  device_case_data dev = upload(ctx, start);
  const op_args a = dev.args();
  c.forward(ctx, a);
  if (c.backward) c.backward(ctx, a);
  op_host_data r = start;
  download(ctx, dev.in, r.in);
  download(ctx, dev.din, r.din);
  download(ctx, dev.out, r.out);
  download(ctx, dev.saved, r.saved);
  return r;
}

inline op_host_data run_on_cpu(const op_case& c, const op_host_data& start) {
  op_host_data r = start;
  const op_args a = r.args();
  c.forward(cpu_context(), a);
  if (c.backward) c.backward(cpu_context(), a);
  return r;
}

// Every output, saved buffer, updated input and gradient of `gpu_r` within tol of `cpu_r`.
inline void check_parity(const op_case& c, const op_host_data& cpu_r, const op_host_data& gpu_r, double tol) {
  for (size_t i = 0; i < c.outputs.size(); i++) {
    INFO("output ", c.outputs[i].name);
    CHECK(parity_error(cpu_r.out[i], gpu_r.out[i]) < tol);
  }
  for (size_t i = 0; i < c.saved.size(); i++) {
    INFO("saved ", c.saved[i].name);
    CHECK(parity_error(cpu_r.saved[i], gpu_r.saved[i]) < tol);
  }
  for (size_t i = 0; i < c.inputs.size(); i++) {
    INFO("input ", c.inputs[i].name);
    if (c.inputs[i].updated) CHECK(parity_error(cpu_r.in[i], gpu_r.in[i]) < tol);
    if (c.inputs[i].grad && c.backward) CHECK(parity_error(cpu_r.din[i], gpu_r.din[i]) < tol);
  }
}

// A GPU context for one test: its own non-blocking stream, or (legacy) the default stream the CLI uses.
struct gpu_stream {
  exec_context ctx;
  explicit gpu_stream(bool legacy = false) { ctx = exec_context{device::cuda, legacy ? nullptr : cuda_stream_create()}; }
  ~gpu_stream() { cuda_stream_destroy(ctx.stream); }
};

inline void check_cases(const std::vector<op_case>& cases, bool legacy_stream = false) {
  gpu_stream s(legacy_stream);
  for (const op_case& c : cases) {
    INFO("case ", c.name);
    const op_host_data start = start_data(c);
    check_parity(c, run_on_cpu(c, start), run_on_gpu(c, s.ctx, start), c.parity_tol);
  }
}


// parity_error over floats [offset, offset + n) of two arenas laid out by the same size table
inline double range_error(const arena& a, const arena& b, size_t offset, size_t n) {
  const std::vector<float> x(a.data() + offset, a.data() + offset + n), y(b.data() + offset, b.data() + offset + n);
  return parity_error(x, y);
}

inline double tensor_error(const arena& a, const arena& b, const tensor_spec& s) {
  return range_error(a, b, s.offset, s.numel());
}

}  // namespace pluma::op_test
