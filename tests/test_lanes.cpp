// Data parallel lanes (train/lanes.h, model/ops/lanes.h): each lane's rows through a model of its own on one
// thread, the gradients summed once. The lanes' step is the whole batch's gradient (up to the sums' rounding),
// its bits do not depend on how many threads run the lanes, and the trainer on two threads uses them.
#include <doctest/doctest.h>
#include <omp.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "model/gpt/gpt.h"
#include "model/ops/lanes.h"
#include "model/ops/matmul.h"
#include "model/rnn/lstm_lm.h"
#include "tests/grad_diff.h"
#include "tests/threads_scope.h"
#include "train/evaluator.h"
#include "train/lanes.h"

using namespace pluma;

namespace {

gpt_config lane_config(float dropout) {
  gpt_config c;
  c.vocab_size = 11;
  c.context = 32;
  c.layers = 2;
  c.heads = 2;
  c.embd = 32;
  c.dropout = dropout;
  return c;
}

std::vector<int> tokens(size_t n, int V, uint64_t seed) {
  rng g(seed);
  std::vector<int> t(n);
  for (int& x : t) x = int(g.below(uint64_t(V)));
  return t;
}

void randomize(gpt_model& m, uint64_t seed) {
  rng g(seed);
  for (size_t i = 0; i < m.params().size(); i++) m.params().data()[i] = 0.3f * (2.0f * g.uniform() - 1.0f);
}

std::vector<float> grads_of(gpt_model& m) { return {m.grads().data(), m.grads().data() + m.grads().size()}; }

struct batch_data {
  std::vector<int> x, y;
  train_batch b;
  batch_data(int B, int T, int V, uint64_t seed) : x(tokens(size_t(B) * T, V, seed)), y(tokens(size_t(B) * T, V, seed + 1)) {
    b.B = B;
    b.T = T;
    b.inputs = x.data();
    b.targets = y.data();
  }
};

// One step of two micro-batches (scales 0.5 each) through n lanes; the loss sum, the gradients and the
// generator's state after.
struct step_result {
  float loss = 0;
  std::vector<float> grads;
  uint64_t rng_state = 0;
};

step_result lane_step(gpt_model& m, int n, const batch_data& a, const batch_data& b) {
  lane_set lanes(m, n);
  REQUIRE(lanes.count() == n);
  rng r(77);
  step_result s;
  lanes.begin_step();
  s.loss = lanes.forward_backward(a.b, 0.5f, r) + lanes.forward_backward(b.b, 0.5f, r);
  lanes.end_step();
  s.grads = grads_of(m);
  s.rng_state = r.state;
  return s;
}

}  // namespace

TEST_CASE("lanes: the step is the whole batch's gradient, rows split evenly or not") {
  threads_scope threads(2);
  for (bool bf16 : {false, true}) {
    CAPTURE(bf16);
    matmul_set_bf16(bf16);
    gpt_model m(lane_config(0.0f));
    randomize(m, 3);
    for (int n : {2, 3}) {
      CAPTURE(n);
      const batch_data a(5, 24, 11, 10), b(4, 24, 11, 20);   // 5 rows over 2 lanes: 2 and 3
      const step_result lanes = lane_step(m, n, a, b);
      rng r(77);
      m.discard_grads();
      const float whole = m.batch_forward_backward(a.b, 0.5f, r) + m.batch_forward_backward(b.b, 0.5f, r);
      const std::vector<float> ref = grads_of(m);
      CHECK(lanes.loss == doctest::Approx(whole).epsilon(1e-5));
      const grad_diff d = grad_diff_of(lanes.grads.data(), ref.data(), ref.size());
      CHECK(d.scale > 1e-3);
      CHECK(d.relative() <= (bf16 ? 2e-3 : 1e-5));   // bf16: the halves' activations round by their own sums
      CHECK(lanes.rng_state == rng(77).state);       // no dropout: the generator stays
    }
  }
  matmul_set_bf16(false);
}

TEST_CASE("lanes: the same bits on one thread as on two, dropout on, and the generator moves past the lanes") {
  for (bool bf16 : {false, true}) {
    CAPTURE(bf16);
    matmul_set_bf16(bf16);
    gpt_model m(lane_config(0.2f));
    randomize(m, 4);
    const batch_data a(6, 32, 11, 30), b(6, 32, 11, 40);
    step_result one, two;
    {
      threads_scope threads(1);
      one = lane_step(m, 2, a, b);
    }
    {
      threads_scope threads(2);
      two = lane_step(m, 2, a, b);
    }
    CHECK(std::memcmp(one.grads.data(), two.grads.data(), one.grads.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(&one.loss, &two.loss, sizeof(float)) == 0);
    rng moved(77);
    moved.discard(4);   // two micro-batches of two lanes
    CHECK(two.rng_state == moved.state);
    // lanes draw masks of their own: a second lane's rows are not masked as the model alone would mask them
    rng r(77);
    m.discard_grads();
    m.batch_forward_backward(a.b, 0.5f, r);
    m.batch_forward_backward(b.b, 0.5f, r);
    CHECK(std::memcmp(one.grads.data(), m.grads().data(), one.grads.size() * sizeof(float)) != 0);
  }
  matmul_set_bf16(false);
}

TEST_CASE("lanes: a micro-batch of fewer rows than lanes is the model's alone; a lane that did not compute adds nothing") {
  threads_scope threads(2);
  gpt_model m(lane_config(0.0f));
  randomize(m, 5);
  const batch_data one_row(1, 16, 11, 50), two_rows(2, 16, 11, 60);
  lane_set lanes(m, 2);
  rng r(1);
  // a step in which lane 1 computes leaves gradients in it
  lanes.begin_step();
  lanes.forward_backward(two_rows.b, 1.0f, r);
  lanes.end_step();
  // a step of one row: lane 1's old gradients must stay out of the sum
  lanes.begin_step();
  lanes.forward_backward(one_row.b, 1.0f, r);
  lanes.end_step();
  std::vector<float> got = grads_of(m);
  rng r2(1);
  m.discard_grads();
  m.batch_forward_backward(one_row.b, 1.0f, r2);
  CHECK(std::memcmp(got.data(), m.grads().data(), got.size() * sizeof(float)) == 0);
  // one row, then two: lane 1 first computes in the second micro-batch, and writes (not adds) its gradients
  lanes.begin_step();
  lanes.forward_backward(one_row.b, 0.5f, r);
  lanes.forward_backward(two_rows.b, 0.5f, r);
  lanes.end_step();
  got = grads_of(m);
  m.discard_grads();
  m.batch_forward_backward(one_row.b, 0.5f, r2);
  m.batch_forward_backward(two_rows.b, 0.5f, r2);
  const std::vector<float> ref = grads_of(m);
  const grad_diff d = grad_diff_of(got.data(), ref.data(), ref.size());
  CHECK(d.scale > 1e-3);
  CHECK(d.relative() <= 1e-5);
}

TEST_CASE("lanes: an LSTM on random windows has lanes, whose step is the whole batch's; one carrying state has none") {
  threads_scope threads(2);
  lstm_config c;
  c.vocab_size = 11, c.embd = 12, c.hidden = 16, c.layers = 2, c.dropout = 0.0f;
  c.carry_state = true;
  lstm_lm carrying(c);
  CHECK(carrying.make_lane() == nullptr);
  CHECK_FALSE(carrying.lanes_by_default());
  c.carry_state = false;
  lstm_lm m(c);
  m.init_params(7);
  for (lstm_impl impl : {lstm_impl::kernels, lstm_impl_default}) {   // a lane computes as its model does
    m.set_impl(impl);
    CHECK(static_cast<lstm_lm&>(*m.make_lane()).impl() == impl);
  }
  const batch_data a(5, 20, 11, 70);
  lane_set lanes(m, 2);
  REQUIRE(lanes.count() == 2);
  rng r(3);
  lanes.begin_step();
  const float loss = lanes.forward_backward(a.b, 1.0f, r);
  lanes.end_step();
  const std::vector<float> got(m.grads().data(), m.grads().data() + m.grads().size());
  rng r2(3);
  m.discard_grads();
  const float whole = m.batch_forward_backward(a.b, 1.0f, r2);
  CHECK(loss == doctest::Approx(whole).epsilon(1e-5));
  const grad_diff d = grad_diff_of(got.data(), m.grads().data(), got.size());
  CHECK(d.scale > 1e-3);
  CHECK(d.relative() <= 1e-5);
}

TEST_CASE("lanes: an evaluation in the lanes' pieces gives the mean over the whole batch") {
  threads_scope threads(2);
  gpt_model m(lane_config(0.0f));
  randomize(m, 6);
  for (int B : {4, 5}) {   // 5 rows: not in pieces
    for (int accum : {1, 2}) {
      CAPTURE(B);
      CAPTURE(accum);
      fixed_batches fb;
      fb.count = 3, fb.B = B, fb.T = 16;
      fb.inputs = tokens(size_t(3) * B * 16, 11, 80), fb.targets = tokens(size_t(3) * B * 16, 11, 81);
      lm_evaluator whole(m, fb, fb, accum), pieces(m, fb, fb, accum);
      pieces.set_lanes(2);
      const eval_result a = whole.evaluate(single_process_communicator());
      const eval_result b = pieces.evaluate(single_process_communicator());
      // the mean of every position's loss, however the rows are cut
      double sum = 0;
      for (int i = 0; i < fb.count; i++) sum += m.forward_loss(fb.inputs_of(i), fb.targets_of(i), B, 16);
      CHECK(a.val_loss == doctest::Approx(sum / fb.count).epsilon(1e-6));
      CHECK(b.val_loss == doctest::Approx(sum / fb.count).epsilon(1e-6));
    }
  }
}

TEST_CASE("lanes_run: every lane once, on the threads there are, exceptions after all; lanes_sum_into in order") {
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    threads_scope scope(threads);
    std::vector<std::atomic<int>> ran(5);
    std::vector<int> inner(5, 0);
    const int used = lanes_run(5, [&](int k) {
      ran[k]++;
      inner[k] = omp_get_max_threads();   // a lane computes alone
    });
    CHECK(used == std::min(threads, 5));
    for (int k = 0; k < 5; k++) {
      CHECK(ran[k] == 1);
      CHECK(inner[k] == 1);
    }
    CHECK(omp_get_max_threads() == threads);
    std::atomic<int> after{0};
    CHECK_THROWS_WITH_AS(lanes_run(3,
                                   [&](int k) {
                                     if (k == 1) throw std::runtime_error("lane 1 failed");
                                     after++;
                                   }),
                         "lane 1 failed", std::runtime_error);
    CHECK(after == 2);
    // a lane inside a lane runs on its thread
    std::atomic<int> nested{0};
    lanes_run(2, [&](int) { CHECK(lanes_run(2, [&](int) { nested++; }) == 1); });
    CHECK(nested == 4);

    const long N = 100003;
    std::vector<float> d(N), s1(N), s2(N);
    rng g(9);
    for (long i = 0; i < N; i++) d[i] = g.uniform(), s1[i] = g.uniform() * 1e-3f, s2[i] = g.uniform() * 1e3f;
    std::vector<float> want = d;
    for (long i = 0; i < N; i++) want[i] = (want[i] + s1[i]) + s2[i];
    lanes_sum_into(d.data(), {s1.data(), s2.data()}, N);
    CHECK(std::memcmp(d.data(), want.data(), N * sizeof(float)) == 0);
  }
}
