#include <doctest/doctest.h>

#include "model/core/arena.h"
#include "model/core/rng.h"
#include "model/core/status.h"
#include "model/core/xml_escape.h"

using namespace pluma;

TEST_CASE("size table aligns every tensor to 64 bytes and counts all floats") {
  std::vector<tensor_spec> t = {{"a", {3, 5}}, {"b", {7}}, {"c", {2, 2, 2}}};
  size_t n = size_table_layout(t);
  CHECK(t[0].offset == 0);
  CHECK(t[1].offset == 16);
  CHECK(t[2].offset == 32);
  CHECK(n == 48);
  arena a(n);
  CHECK(reinterpret_cast<uintptr_t>(a.data()) % 64 == 0);
  a.at(t[1])[6] = 3.0f;
  CHECK(a.data()[22] == 3.0f);
  a.zero();
  CHECK(a.data()[22] == 0.0f);
}

TEST_CASE("rng is deterministic by seed and resumes from its state") {
  rng a(7), b(7), c(8);
  CHECK(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  rng d = a;
  CHECK(d.next_u64() == a.next_u64());
  double mean = 0;
  for (int i = 0; i < 100000; i++) mean += a.uniform();
  CHECK(mean / 100000 == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("status carries a message and context") {
  status s = status::error("file is empty").with_context("reading x.txt");
  CHECK(!s.is_ok());
  CHECK(s.message() == "reading x.txt: file is empty");
  CHECK(status::ok().is_ok());
}

TEST_CASE("xml_escape: markup characters escaped, forbidden control bytes made spaces") {
  CHECK(pluma::xml_escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
  CHECK(pluma::xml_escape(std::string("x\x01y\tz\n", 6)) == "x y\tz\n");
  CHECK(pluma::xml_escape("▁rey") == "▁rey");   // UTF-8 bytes pass through
}
