// The device query and device memory (model/core/device_arena.h): on a machine without a GPU the query
// gives a reason and allocations fail with a message (never a crash); with a GPU, copies round-trip and
// arenas move between host and device.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "model/core/arena.h"
#include "model/core/cuda_module.h"
#include "model/core/device_arena.h"

using namespace pluma;

namespace {

bool have_gpu() {
  std::string why;
  return cuda_available(why);
}

}  // namespace

TEST_CASE("cuda_available says why not, the same way every time") {
  std::string why1 = "unset", why2 = "unset";
  const bool ok1 = cuda_available(why1), ok2 = cuda_available(why2);
  CHECK(ok1 == ok2);
  CHECK(why1 == why2);
  if (ok1) {
    CHECK(why1.empty());
    CHECK(cuda_compiled());
    CHECK(!cuda_device_description().empty());
  } else {
    CHECK(!why1.empty());
    CHECK(why1 != "unset");
    CHECK(cuda_device_description().empty());
  }
  if (!cuda_compiled()) CHECK(why1.find("no CUDA backend") != std::string::npos);
}

TEST_CASE("a build with the CUDA backend loads its module, with or without a GPU") {
  std::string why = "unset";
  const pluma_cuda_module* m = cuda_module(&why);
  if (!cuda_compiled()) {
    CHECK(m == nullptr);
    CHECK(why.find("no CUDA backend") != std::string::npos);
  } else if (!std::getenv("PLUMA_CUDA_LIBRARY")) {   // the module built beside this program
    REQUIRE_MESSAGE(m != nullptr, why);
    CHECK(why.empty());
    CHECK(m->version == PLUMA_CUDA_API_VERSION);
    CHECK(cuda_module_if_loaded() == m);
    CHECK(cuda_module() == m);   // once per process
  }
}

TEST_CASE("without a usable device, allocating device memory is an error with a message" * doctest::skip(have_gpu())) {
  device_buffer b;
  const status st = b.allocate(1024);
  REQUIRE_FALSE(st.is_ok());
  CHECK(b.data() == nullptr);
  CHECK(b.bytes() == 0u);
  if (cuda_compiled())
    CHECK(st.message().find("cannot allocate") != std::string::npos);
  else
    CHECK(st.message().find("no CUDA backend") != std::string::npos);
  device_arena a;
  CHECK_FALSE(a.resize(16).is_ok());
  CHECK(a.size() == 0u);
  CHECK(b.allocate(0).is_ok());   // nothing to allocate is never an error
  int used = 7;
  const status u = cuda_use_device(3, used);
  CHECK_FALSE(u.is_ok());
  CHECK(used == 0);
  CHECK(u.message().find("no CUDA device") == 0);
}

TEST_CASE("cuda_use_device takes index modulo the device count, and the description follows it" *
          doctest::skip(!have_gpu())) {
  int first = -1, again = -1;
  REQUIRE(cuda_use_device(0, first).is_ok());
  CHECK(first == 0);
  REQUIRE(cuda_use_device(-4, again).is_ok());   // a negative index means the first device
  CHECK(again == 0);
  CHECK(!cuda_device_description().empty());
}

TEST_CASE("device copies round-trip; memset poisons; arenas upload, zero and download" * doctest::skip(!have_gpu())) {
  const exec_context ctx{device::cuda, cuda_stream_create()};
  std::vector<float> host(1000);
  for (size_t i = 0; i < host.size(); i++) host[i] = std::sin(0.1f * i) * 3.0f;
  device_buffer b;
  REQUIRE(b.allocate(host.size() * sizeof(float)).is_ok());
  CHECK(b.bytes() == host.size() * sizeof(float));
  device_copy_to(ctx, b.data(), host.data(), b.bytes());
  std::vector<float> back(host.size(), 0.0f);
  device_copy_from(ctx, back.data(), b.data(), b.bytes());
  CHECK(back == host);
  device_memset(ctx, b.data(), 0xFF, b.bytes());
  device_copy_from(ctx, back.data(), b.data(), b.bytes());
  CHECK(std::isnan(back[0]));
  CHECK(std::isnan(back[999]));

  std::vector<tensor_spec> table = {{"a", {3, 5}}, {"b", {7}}};
  const size_t n = size_table_layout(table);
  arena h(n), h2(n);
  for (size_t i = 0; i < n; i++) h.data()[i] = float(i) - 10.0f;
  device_arena d;
  REQUIRE(d.resize(n).is_ok());
  d.download(ctx, h2);
  CHECK(h2.data()[0] == 0.0f);   // zero-filled on allocation
  d.upload(ctx, h);
  d.download(ctx, h2);
  CHECK(std::memcmp(h.data(), h2.data(), n * sizeof(float)) == 0);
  CHECK(d.at(table[1]) == d.data() + table[1].offset);
  d.zero(ctx);
  d.download(ctx, h2);
  CHECK(h2.data()[n - 1] == 0.0f);
  device_arena e;   // zero-filled on ctx's (non-blocking) stream, so the stream's next copy sees the zeros
  REQUIRE(e.resize(n, ctx).is_ok());
  e.download(ctx, h);
  CHECK(std::all_of(h.data(), h.data() + n, [](float v) { return v == 0.0f; }));
  cuda_stream_destroy(ctx.stream);
}
