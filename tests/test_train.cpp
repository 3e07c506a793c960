#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/threads_scope.h"
#include "tests/train_toy.h"
#include "train/lr_schedule.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/train_config.h"
#include "train/trainer.h"

using namespace pluma;

namespace {

std::string tmp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "pluma_test_train";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

// ---------------------------------------------------------------- learning-rate schedule

TEST_CASE("cosine schedule matches the reference recipe (warmup 100, 1e-3 -> 1e-4 at 2000)") {
  lr_schedule s{lr_schedule_kind::cosine, 1e-3, 1e-4, 100, 2000};
  CHECK(lr_at(s, 0) == doctest::Approx(1e-5).epsilon(1e-12));     // 1e-3 * 1 / 100
  CHECK(lr_at(s, 49) == doctest::Approx(5e-4).epsilon(1e-12));    // 1e-3 * 50 / 100
  CHECK(lr_at(s, 99) == doctest::Approx(1e-3).epsilon(1e-12));    // end of warmup
  CHECK(lr_at(s, 100) == doctest::Approx(1e-3).epsilon(1e-12));   // cosine starts at the top
  // it = 1000: r = 900/1900 = 9/19, cos(9 pi / 19) = sin(pi / 38) = 0.08257934...
  CHECK(lr_at(s, 1000) == doctest::Approx(1e-4 + 0.5 * (1 + 0.0825793454723323) * 9e-4).epsilon(1e-12));
  CHECK(lr_at(s, 1000) == doctest::Approx(5.871607054625496e-4).epsilon(1e-12));
  CHECK(lr_at(s, 1050) == doctest::Approx(5.5e-4).epsilon(1e-12));  // the middle: r = 1/2, cos = 0
  CHECK(lr_at(s, 2000) == doctest::Approx(1e-4).epsilon(1e-12));
  CHECK(lr_at(s, 5000) == doctest::Approx(1e-4).epsilon(1e-12));    // flat after the decay
  CHECK(lr_at(s, 1999) > 1e-4);
  for (int it = 101; it < 2000; it++) CHECK(lr_at(s, it) < lr_at(s, it - 1));
}

TEST_CASE("constant schedule: warmup then flat; no warmup means flat from the start") {
  lr_schedule s{lr_schedule_kind::constant, 2e-3, 0, 10, 0};
  CHECK(lr_at(s, 0) == doctest::Approx(2e-4).epsilon(1e-12));
  CHECK(lr_at(s, 9) == doctest::Approx(2e-3).epsilon(1e-12));
  CHECK(lr_at(s, 12345) == doctest::Approx(2e-3).epsilon(1e-12));
  s.warmup_iters = 0;
  CHECK(lr_at(s, 0) == 2e-3);
  // a decay that ends inside the warmup: warmup, then lr_min (no division by zero)
  lr_schedule c{lr_schedule_kind::cosine, 1e-3, 1e-4, 100, 50};
  CHECK(lr_at(c, 99) == doctest::Approx(1e-3).epsilon(1e-12));
  CHECK(lr_at(c, 100) == doctest::Approx(1e-4).epsilon(1e-12));
}

// ---------------------------------------------------------------- clipping

TEST_CASE("global gradient norm: exact on small input, thread-count independent, clip factor") {
  std::vector<float> g = {3, 0, 0, 4};
  CHECK(grad_global_norm(g.data(), g.size()) == 5.0);
  CHECK(grad_clip_scale(5.0, 1.0f) == doctest::Approx(1.0 / (5.0 + 1e-6)));
  CHECK(grad_clip_scale(0.5, 1.0f) == 1.0f);    // below the limit: untouched
  CHECK(grad_clip_scale(50.0, 0.0f) == 1.0f);   // 0 disables clipping

  rng r(3);
  std::vector<float> big(100003);
  long double ref = 0;
  for (auto& x : big) {
    x = r.normal() * 1e-2f;
    ref += static_cast<long double>(x) * x;
  }
  int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  double n1 = grad_global_norm(big.data(), big.size());
  omp_set_num_threads(2);
  double n2 = grad_global_norm(big.data(), big.size());
  omp_set_num_threads(saved);
  CHECK(n1 == n2);   // bit for bit: fixed blocks, summed in order
  CHECK(n1 == doctest::Approx(static_cast<double>(std::sqrt(ref))).epsilon(1e-13));
}

// ---------------------------------------------------------------- optimizer

namespace {

struct opt_fixture {
  std::vector<tensor_spec> specs = {{"w", {2, 3}, true}, {"bias", {5}, false}, {"emb", {4, 2}, true}};
  size_t n = size_table_layout(specs);
  arena p{n}, g{n};
  opt_fixture() {
    for (const auto& t : specs)
      for (size_t i = 0; i < t.numel(); i++) p.at(t)[i] = 1.0f + 0.25f * i;
  }
};

}  // namespace

TEST_CASE("adamw decays only tensors marked decay") {
  opt_fixture f;   // zero gradients: only the decoupled decay moves anything
  optimizer opt({optimizer_kind::adamw, 0.9f, 0.99f, 1e-8f, 0.1f}, f.specs, f.n);
  opt.step(cpu_context(), f.p, f.g, 0.5f, 1.0f);
  CHECK(opt.step_count() == 1);
  for (const auto& t : f.specs)
    for (size_t i = 0; i < t.numel(); i++) {
      float before = 1.0f + 0.25f * i;
      if (t.decay)
        CHECK(f.p.at(t)[i] == doctest::Approx(before * (1 - 0.5f * 0.1f)));
      else
        CHECK(f.p.at(t)[i] == before);
    }
}

TEST_CASE("adamw first step: the bias-corrected update is lr * sign(g), scaled grads included") {
  opt_fixture f;
  for (size_t i = 0; i < f.n; i++) f.g.data()[i] = (i % 2 ? -1.0f : 1.0f) * (0.5f + i);
  optimizer opt({optimizer_kind::adamw, 0.9f, 0.99f, 1e-8f, 0.0f}, f.specs, f.n);
  arena before(f.n);
  std::memcpy(before.data(), f.p.data(), f.n * sizeof(float));
  opt.step(cpu_context(), f.p, f.g, 0.01f, 0.5f);
  const auto& w = f.specs[0];
  for (size_t i = 0; i < w.numel(); i++) {
    float gi = f.g.at(w)[i] * 0.5f;
    // m = 0.1 g, v = 0.01 g^2; m/(1-0.9) = g, sqrt(v/(1-0.99)) = |g|
    CHECK(f.p.at(w)[i] == doctest::Approx(before.at(w)[i] - 0.01f * gi / (std::fabs(gi) + 1e-8f)));
    CHECK(opt.m().at(w)[i] == doctest::Approx(0.1f * gi));
    CHECK(opt.v().at(w)[i] == doctest::Approx(0.01f * gi * gi));
  }
}

TEST_CASE("adam puts the weight decay into the gradient (L2), on decay tensors only") {
  opt_fixture f;
  optimizer opt({optimizer_kind::adam, 0.9f, 0.99f, 1e-8f, 0.1f}, f.specs, f.n);
  opt.step(cpu_context(), f.p, f.g, 0.01f, 1.0f);
  for (const auto& t : f.specs)
    for (size_t i = 0; i < t.numel(); i++) {
      float before = 1.0f + 0.25f * i;
      // decay tensors: g = 0.1 * p > 0, so the first Adam step moves them down by lr; the others stay
      CHECK(f.p.at(t)[i] == doctest::Approx(t.decay ? before - 0.01f : before));
      if (t.decay) CHECK(opt.m().at(t)[i] == doctest::Approx(0.1f * 0.1f * before));
    }
}

TEST_CASE("optimizer and schedule names parse") {
  optimizer_kind k;
  CHECK(optimizer_kind_parse("adam", k));
  CHECK(k == optimizer_kind::adam);
  status st = optimizer_kind_parse("sgd", k);
  CHECK(st.message() == "unknown optimizer 'sgd' (expected adamw or adam)");
  lr_schedule_kind s;
  CHECK(lr_schedule_kind_parse("constant", s));
  CHECK(s == lr_schedule_kind::constant);
  CHECK(!lr_schedule_kind_parse("linear", s));
}

// ---------------------------------------------------------------- config, presets, durations

TEST_CASE("presets set the recipe; the defaults are the baby recipe") {
  train_config d, baby;
  CHECK(train_preset_apply("baby", baby));
  CHECK(train_config_to_json(d) == train_config_to_json(baby));
  train_config sc;
  CHECK(train_preset_apply("shakespeare-char", sc));
  CHECK(sc.layers == 6);
  CHECK(sc.heads == 6);
  CHECK(sc.embd == 384);
  CHECK(sc.context == 256);
  CHECK(sc.batch == 64);
  CHECK(sc.dropout == doctest::Approx(0.2f));
  CHECK(sc.iters == 5000);
  CHECK(sc.schedule.lr_min == doctest::Approx(1e-4));
  CHECK(sc.optim.beta2 == doctest::Approx(0.99f));
  status st = train_preset_apply("huge", sc);
  CHECK(st.message() == "unknown preset 'huge' (expected one of: baby, shakespeare-char, char-rnn-small, char-rnn, multi30k, tatoeba-en-es)");
}

TEST_CASE("config check names the offending option") {
  auto msg = [](auto edit) {
    train_config c;
    edit(c);
    return train_config_check(c).message();
  };
  CHECK(msg([](train_config&) {}) == "");
  CHECK(msg([](train_config& c) { c.heads = 3; }) ==
        "--heads (3) must divide --embd (128) so that every head has the same width");
  CHECK(msg([](train_config& c) { c.schedule.lr_max = -1e-3; }) == "--lr must be positive (got -0.001)");
  CHECK(msg([](train_config& c) { c.batch = 0; }) == "--batch must be positive (got 0)");
  CHECK(msg([](train_config& c) { c.grad_accum = 5; }) ==
        "--batch (12) must be divisible by --grad-accum (5): each micro-batch has batch/grad-accum sequences");
  CHECK(msg([](train_config& c) { c.dropout = 1.0f; }) == "--dropout must be in [0, 1) (got 1)");
  CHECK(msg([](train_config& c) { c.val_fraction = 0; }) == "--val-fraction must be between 0 and 1 (got 0)");
  CHECK(msg([](train_config& c) { c.schedule.lr_min = 0.1; }) ==
        "--lr-min (0.1) is above --lr (0.001); the cosine schedule decays from --lr down to --lr-min");
  CHECK(msg([](train_config& c) { c.optim.beta2 = 1.0f; }) == "--beta2 must be in [0, 1) (got 1)");
  CHECK(msg([](train_config& c) { c.schedule.lr_max = NAN; }) == "--lr must be positive (got nan)");
  CHECK(msg([](train_config& c) { c.lanes = -1; }) == "--lanes must be 0 or more (got -1)");
  CHECK(msg([](train_config& c) { c.lanes = 99; }) == "--lanes must be at most 16 (got 99)");
  CHECK(msg([](train_config& c) { c.lanes = 4, c.grad_accum = 4; }) ==
        "--lanes 4 needs at least as many sequences per micro-batch (batch/grad-accum = 3)");
  CHECK(msg([](train_config& c) { train_model_defaults(model_kind::lstm, c), c.lanes = 2; }) ==
        "--lanes 2 needs --sampler windows for an lstm: on streams each row carries its state into the next batch");
}

TEST_CASE("durations take s, m, h suffixes") {
  double s = 0;
  CHECK(duration_parse("90", s));
  CHECK(s == 90);
  CHECK(duration_parse("10m", s));
  CHECK(s == 600);
  CHECK(duration_parse("1.5h", s));
  CHECK(s == 5400);
  CHECK(duration_parse("2s", s));
  CHECK(s == 2);
  status st = duration_parse("10 minutes", s);
  CHECK(st.message() == "bad duration '10 minutes'; use a number of seconds with an optional suffix s, m or h "
                        "(e.g. 90s, 10m, 1.5h)");
  CHECK(!duration_parse("-5m", s));
  CHECK(!duration_parse("m", s));
}

TEST_CASE("config round-trips through JSON") {
  train_config c;
  c.model = model_kind::lstm;
  c.hidden = 256;
  c.schedule.kind = lr_schedule_kind::constant;
  c.optim.kind = optimizer_kind::adam;
  c.seed = 0xfedcba9876543210ULL;
  c.max_time_s = 12.5;
  train_config back;
  REQUIRE(train_config_from_json(train_config_to_json(c), back));
  CHECK(train_config_to_json(back) == train_config_to_json(c));
  CHECK(back.seed == c.seed);
  nlohmann::json broken = train_config_to_json(c);
  broken.erase("iters");
  CHECK(train_config_from_json(broken, back).message().find("incomplete or malformed") != std::string::npos);
}

// ---------------------------------------------------------------- metrics

TEST_CASE("metrics lines: step and eval records round-trip; a resumed log keeps the earlier lines") {
  metrics_record step;
  step.iter = 10;
  step.loss = 2.5;
  step.lr = 1e-3;
  step.tokens_per_s = 1234.5;
  CHECK(metrics_to_json(step) == R"({"iter":10,"loss":2.5,"lr":0.001,"tokens_per_s":1234.5})");
  metrics_record ev;
  ev.iter = 20;
  ev.train_loss = 2.25;
  ev.val_loss = 2.75;
  CHECK(metrics_to_json(ev) == R"({"iter":20,"train_loss":2.25,"val_loss":2.75,"lr":0.0,"tokens_per_s":0.0})");

  std::string path = tmp_path("metrics.jsonl");
  {
    metrics_writer w;
    REQUIRE(w.open(path));
    for (int i = 0; i < 30; i += 10) {
      step.iter = i;
      REQUIRE(w.write(step));
    }
    REQUIRE(w.write(ev));
  }
  std::vector<metrics_record> rs;
  REQUIRE(metrics_read(path, rs));
  REQUIRE(rs.size() == 4);
  CHECK(rs[3].is_eval());
  CHECK(*rs[3].val_loss == 2.75);
  CHECK(!rs[0].is_eval());
  CHECK(*rs[2].loss == 2.5);
  {
    metrics_writer w;
    REQUIRE(w.open(path, 15));   // resumed at 15: iterations 0 and 10 stay
    step.iter = 15;
    REQUIRE(w.write(step));
  }
  REQUIRE(metrics_read(path, rs));
  REQUIRE(rs.size() == 3);
  CHECK(rs[2].iter == 15);

  std::ofstream(path, std::ios::app) << "{\"iter\": \"x\"}\n";
  status st = metrics_read(path, rs);
  CHECK(st.message() == "metrics file '" + path + "' line 4: no integer \"iter\" field");
}

// ---------------------------------------------------------------- trainer (toy bigram model)

namespace {

constexpr int toy_V = 7;

// The toy runs are tiny and single-threaded in substance: one OpenMP thread keeps the optimizer's parallel
// regions from waiting on a busy machine.
struct one_thread : threads_scope {
  one_thread() : threads_scope(1) {}
};

struct toy_run {
  one_thread threads;
  train_config cfg;
  toy::bigram_model model{toy_V};
  toy::letters tok{toy_V};
  std::vector<int> train_part, val_part;
  std::unique_ptr<window_batches> sampler;
  fixed_batches train_eval, val_eval;
  std::unique_ptr<trainer> tr;
  std::vector<float> losses;             // by iteration, NaN where not run
  std::vector<train_progress> events;    // evals and checkpoints
  std::function<void(const train_progress&)> on_event;

  explicit toy_run(const train_config& c) : cfg(c), losses(c.iters, NAN) {
    auto tokens = toy::toy_tokens(toy_V, 2000, 99);
    train_part.assign(tokens.begin(), tokens.begin() + 1800);
    val_part.assign(tokens.begin() + 1800, tokens.end());
    std::unique_ptr<window_batches> e1, e2;
    REQUIRE(window_batches::create(token_view::of(train_part), cfg.batch, cfg.context, cfg.seed, "train", sampler));
    REQUIRE(window_batches::create(token_view::of(train_part), cfg.batch, cfg.context, cfg.seed + 1, "train", e1));
    REQUIRE(window_batches::create(token_view::of(val_part), cfg.batch, cfg.context, cfg.seed + 2, "val", e2));
    train_eval = fixed_batches_draw(*e1, cfg.eval_iters);
    val_eval = fixed_batches_draw(*e2, cfg.eval_iters);
    model.init_params(cfg.seed);
    tr = std::make_unique<trainer>(model, tok, *sampler, train_eval, val_eval, cfg);
  }
  status run(int stop_after = -1, train_result* res = nullptr) {
    train_result r;
    status st = tr->run(
        [&](const train_progress& p) {
          if (p.event != train_progress::kind::step) {
            events.push_back(p);
            if (on_event) on_event(p);
            return true;
          }
          losses[p.iter] = p.loss;
          return p.iter + 1 != stop_after;
        },
        r);
    if (res) *res = r;
    return st;
  }
};

train_config toy_config(const std::string& name) {
  train_config c;
  c.layers = 1;
  c.batch = 4;
  c.context = 8;
  c.iters = 60;
  c.schedule = {lr_schedule_kind::cosine, 0.05, 0.005, 5, 0};
  c.optim.weight_decay = 0.1f;
  c.eval_interval = 20;
  c.eval_iters = 3;
  c.log_interval = 5;
  c.seed = 42;
  c.out = tmp_path(name + ".pluma");
  c.metrics = tmp_path(name + ".jsonl");
  return c;
}

bool same_params(trainable& a, trainable& b) {
  return a.params().size() == b.params().size() &&
         std::memcmp(a.params().data(), b.params().data(), a.params().size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("the trainer learns, evaluates on schedule, logs metrics and saves at the end") {
  train_config c = toy_config("learn");
  c.iters = 45;
  toy_run r(c);
  train_result res;
  REQUIRE(r.run(-1, &res));
  std::vector<int> eval_iters, ckpt_iters;
  for (const auto& e : r.events)
    (e.event == train_progress::kind::eval ? eval_iters : ckpt_iters).push_back(e.iter);
  CHECK(eval_iters == std::vector<int>{0, 20, 40, 45});
  CHECK(ckpt_iters == std::vector<int>{20, 40, 45});   // checkpoint_interval 0 = every evaluation
  // the order of events: the checkpoint of iteration 20 after its evaluation
  CHECK(r.events[1].event == train_progress::kind::eval);
  CHECK(r.events[2].event == train_progress::kind::checkpoint);
  CHECK(r.events[2].iter == 20);
  CHECK(res.steps == 45);
  CHECK(!res.stopped_early);
  CHECK(r.events.back().path == c.out);
  CHECK(r.events.front().eval.val_loss > res.val_loss + 0.3f);   // it learned the walk
  CHECK(res.train_loss == r.events[r.events.size() - 2].eval.train_loss.value_or(-1));

  std::vector<metrics_record> m;
  REQUIRE(metrics_read(c.metrics, m));
  int evals = 0, steps = 0;
  for (const auto& x : m) {
    if (x.is_eval()) {
      evals++;
      CHECK(x.train_loss.has_value());
      CHECK(x.val_loss.has_value());
    } else {
      steps++;
      CHECK(x.iter % 5 == 0);
      CHECK(x.tokens_per_s > 0);
      CHECK(*x.loss == r.losses[x.iter]);
      CHECK(x.lr == doctest::Approx(lr_at(lr_schedule{lr_schedule_kind::cosine, 0.05, 0.005, 5, 45}, x.iter)));
    }
  }
  CHECK(evals == 4);
  CHECK(steps == 9);

  checkpoint ck;
  REQUIRE(checkpoint_read(c.out, ck));
  CHECK(ck.find("w") != nullptr);
  CHECK(ck.find("optimizer.m.w") != nullptr);
  CHECK(ck.find("optimizer.v.b") != nullptr);
  CHECK(ck.find("tokenizer") != nullptr);
  CHECK(ck.metadata.at("format") == "pluma-1");
  auto training = nlohmann::json::parse(ck.metadata.at("training"));
  CHECK(training["step"] == 45);
  CHECK(training["settings"]["lr_decay_iters"] == 45);   // 0 resolved to --iters, saved for a resume
  CHECK(nlohmann::json::parse(ck.metadata.at("config"))["model"] == "toy-bigram");
}

TEST_CASE("keep-best: the candidates are the scheduled evaluations after 0 and the one at the end") {
  SUBCASE("an evaluation interval longer than the run keeps the trained model, not iteration 0's") {
    train_config c = toy_config("best_long");
    c.iters = 30;
    c.eval_interval = 1000;
    c.keep_best = keep_best_kind::val_loss;
    toy_run r(c);
    train_result res;
    REQUIRE(r.run(-1, &res));
    REQUIRE(res.best.has_value());
    CHECK(res.best_step == 30);
    CHECK(*res.best == doctest::Approx(res.val_loss));
    checkpoint ck;
    REQUIRE(checkpoint_read(c.out, ck));
    const checkpoint_tensor* w = ck.find("w");   // the checkpoint's model: the trained one, the last evaluated
    REQUIRE(w != nullptr);
    REQUIRE(w->bytes.size() == toy_V * toy_V * sizeof(float));
    CHECK(std::memcmp(w->f32(), r.model.params().data(), w->bytes.size()) == 0);   // "w" comes first
  }
  SUBCASE("the best of 20, 40 and the end, whichever it is") {
    train_config c = toy_config("best_sched");
    c.iters = 45;
    c.keep_best = keep_best_kind::val_loss;
    toy_run r(c);
    train_result res;
    REQUIRE(r.run(-1, &res));
    double best = INFINITY;
    int best_at = -1;
    for (const auto& e : r.events)
      if (e.event == train_progress::kind::eval && e.iter > 0 && e.eval.val_loss < best) best = e.eval.val_loss, best_at = e.iter;
    REQUIRE(res.best.has_value());
    CHECK(res.best_step == best_at);
    CHECK(*res.best == doctest::Approx(best));
  }
}

TEST_CASE("the same seed gives the same loss curve bit for bit; another seed does not") {
  toy_run a(toy_config("seed_a")), b(toy_config("seed_b"));
  REQUIRE(a.run());
  REQUIRE(b.run());
  for (int i = 0; i < 60; i++) {
    CHECK(std::isfinite(a.losses[i]));
    CHECK(same_bits(a.losses[i], b.losses[i]));
  }
  CHECK(same_params(a.model, b.model));
  train_config c = toy_config("seed_c");
  c.seed = 43;
  toy_run d(c);
  REQUIRE(d.run());
  CHECK(!same_bits(a.losses[59], d.losses[59]));
}

TEST_CASE("a resumed run continues exactly: 30 + 30 iterations equal 60 straight, bit for bit") {
  toy_run straight(toy_config("straight"));
  REQUIRE(straight.run());

  train_config c = toy_config("split");
  toy_run first(c);
  train_result res;
  REQUIRE(first.run(30, &res));   // the callback asks to stop after iteration 29: evaluate, save
  CHECK(res.stopped_early);
  CHECK(res.steps == 30);
  CHECK(res.stop_reason == "stopped on request");

  c.resume = c.out;
  toy_run second(c);   // fresh model, sampler and rng, all from the seed...
  checkpoint ck;
  REQUIRE(checkpoint_read(c.out, ck));
  REQUIRE(second.tr->restore(ck));   // ...then overwritten by the checkpoint
  CHECK(second.tr->step() == 30);
  REQUIRE(second.run());
  for (int i = 0; i < 30; i++) CHECK(same_bits(first.losses[i], straight.losses[i]));
  for (int i = 30; i < 60; i++) {
    CAPTURE(i);
    CHECK(std::isfinite(second.losses[i]));
    CHECK(same_bits(second.losses[i], straight.losses[i]));
  }
  CHECK(same_params(second.model, straight.model));
  CHECK(second.tr->optim().step_count() == 60);

  // the resumed log reads as one run: lines before 30 from the first part, the rest from the second
  std::vector<metrics_record> m;
  REQUIRE(metrics_read(c.metrics, m));
  for (size_t i = 1; i < m.size(); i++) CHECK(m[i].iter >= m[i - 1].iter);
  CHECK(m.back().iter == 60);
}

TEST_CASE("sampler states round-trip and refuse the other kind") {
  std::vector<int> ids = toy::toy_tokens(toy_V, 500, 1);
  std::unique_ptr<window_batches> w, w2;
  std::unique_ptr<stream_batches> s;
  REQUIRE(window_batches::create(token_view::of(ids), 2, 5, 7, "training split", w));
  REQUIRE(window_batches::create(token_view::of(ids), 2, 5, 8, "training split", w2));
  REQUIRE(stream_batches::create(token_view::of(ids), 2, 5, "training split", s));
  int x1[10], y1[10], x2[10], y2[10];
  w->next(x1, y1);
  REQUIRE(w2->restore(w->state()));
  w->next(x1, y1);
  w2->next(x2, y2);
  CHECK(std::equal(x1, x1 + 10, x2));
  CHECK(std::equal(y1, y1 + 10, y2));
  CHECK(w->restore(s->state()).message() == "the saved sampler state is not a random-window state");
  CHECK(s->next(x1, y1));    // the first batch starts a pass
  CHECK(!s->next(x1, y1));
  auto st = s->state();
  CHECK(st["position"] == 10);
  CHECK(s->restore(w->state()).message() == "the saved sampler state is not a contiguous-stream state");
  REQUIRE(s->restore(st));
  s->next(x2, y2);
  CHECK(x2[0] == ids[10]);
  std::unique_ptr<window_batches> tiny;
  std::vector<int> few = {1, 2, 3};
  status e = window_batches::create(token_view::of(few), 2, 5, 7, "validation split", tiny);
  CHECK(e.message().rfind("validation split: ", 0) == 0);
}

TEST_CASE("a periodic checkpoint (written mid-run) resumes exactly too") {
  train_config c = toy_config("periodic");
  c.checkpoint_interval = 10;
  toy_run straight(c);
  std::string copy = tmp_path("periodic_at_30.pluma");
  straight.on_event = [&](const train_progress& p) {
    if (p.event == train_progress::kind::checkpoint && p.iter == 30)
      std::filesystem::copy_file(c.out, copy, std::filesystem::copy_options::overwrite_existing);
  };
  REQUIRE(straight.run());
  c.resume = copy;
  c.out = tmp_path("periodic_resumed.pluma");
  c.metrics = "";
  toy_run second(c);
  checkpoint ck;
  REQUIRE(checkpoint_read(copy, ck));
  REQUIRE(second.tr->restore(ck));
  CHECK(second.tr->step() == 30);
  REQUIRE(second.run());
  for (int i = 30; i < 60; i++) {
    CAPTURE(i);
    CHECK(std::isfinite(second.losses[i]));
    CHECK(same_bits(second.losses[i], straight.losses[i]));
  }
  CHECK(same_params(second.model, straight.model));
}

TEST_CASE("a non-finite evaluation loss stops the run before anything is saved") {
  train_config c = toy_config("eval_inf");
  std::filesystem::remove(c.out);
  toy_run r(c);
  r.model.poison_eval = true;
  CHECK(r.run().message() == "the training loss became infinite at iteration 0; no checkpoint was written; try a "
                             "lower --lr or a tighter --grad-clip");
  CHECK(!std::filesystem::exists(c.out));
}

TEST_CASE("a restore rejects a checkpoint that does not fit the model") {
  toy_run a(toy_config("fit"));
  checkpoint ck;
  CHECK(a.tr->restore(ck).message() ==
        "the checkpoint holds no training state (it was not written by pluma train); it can be sampled from but "
        "not resumed");
  REQUIRE(a.tr->save_checkpoint(a.cfg.out));
  REQUIRE(checkpoint_read(a.cfg.out, ck));
  checkpoint broken = ck;
  broken.metadata["training"] = R"({"step": "ten", "optimizer_steps": 1, "dropout_rng": "00", "sampler": {}})";
  CHECK(a.tr->restore(broken).message() == "the checkpoint's training state is malformed");
  broken.metadata["training"] = "not json";
  CHECK(a.tr->restore(broken).message() == "the checkpoint's training state is malformed");
  for (auto& t : ck.tensors)
    if (t.name == "optimizer.v.w") t.shape = {49};
  CHECK(a.tr->restore(ck).message() == "checkpoint tensor optimizer.v.w has another type or shape than the model's");
}

TEST_CASE("gradient accumulation: two micro-batches of 2 give the step of one batch of 4") {
  train_config c = toy_config("accum1");
  c.iters = 10;
  toy_run a(c);
  c.grad_accum = 2;
  c.out = tmp_path("accum2.pluma");
  c.metrics = "";
  toy_run b(c);
  REQUIRE(a.run());
  REQUIRE(b.run());
  // the same rows, the same dropout draws, gradients scaled by 1/2 per half: equal up to the loss's rounding
  for (int i = 0; i < 10; i++) CHECK(a.losses[i] == doctest::Approx(b.losses[i]).epsilon(1e-5));
  for (size_t i = 0; i < a.model.params().size(); i++)
    CHECK(a.model.params().data()[i] == doctest::Approx(b.model.params().data()[i]).epsilon(1e-5));
}

TEST_CASE("a time budget stops cleanly, evaluates and saves") {
  train_config c = toy_config("budget");
  c.max_time_s = 1e-9;
  toy_run r(c);
  train_result res;
  REQUIRE(r.run(-1, &res));
  CHECK(res.stopped_early);
  CHECK(res.steps == 0);
  CHECK(res.stop_reason.rfind("time budget of ", 0) == 0);
  checkpoint ck;
  REQUIRE(checkpoint_read(c.out, ck));
  CHECK(nlohmann::json::parse(ck.metadata.at("training"))["step"] == 0);
}

TEST_CASE("a NaN loss stops training with a message and leaves the last good checkpoint") {
  train_config c = toy_config("nan");
  c.checkpoint_interval = 5;
  std::filesystem::remove(c.out);
  toy_run r(c);
  r.model.poison_at = 11;   // the 11th forward_backward: iteration 10, whose checkpoint is then not written
  status st = r.run();
  CHECK(st.message() == "the loss became NaN at iteration 10 (lr " + [] {
          char b[32];
          std::snprintf(b, sizeof b, "%g", lr_at(lr_schedule{lr_schedule_kind::cosine, 0.05, 0.005, 5, 60}, 10));
          return std::string(b);
        }() + "); training stopped before the update; the last good checkpoint '" + c.out +
                                 "' (iteration 5) is kept; try a lower --lr or a tighter --grad-clip");
  checkpoint ck;
  REQUIRE(checkpoint_read(c.out, ck));
  CHECK(nlohmann::json::parse(ck.metadata.at("training"))["step"] == 5);
  CHECK(r.tr->step() == 10);   // no update was applied at iteration 10
}

// ---------------------------------------------------------------- plot

#include "train/loss_plot.h"

TEST_CASE("nice ticks are round numbers inside the range") {
  CHECK(nice_ticks(0, 2000, 8) == std::vector<double>{0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000});
  auto t = nice_ticks(1.73, 4.21, 6);   // raw step 0.41 -> 0.5
  REQUIRE(t.size() == 5);
  CHECK(t.front() == doctest::Approx(2.0));
  CHECK(t.back() == doctest::Approx(4.0));
  CHECK(nice_ticks(0, 1, 4) == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(nice_ticks(1, 1, 5).empty());
  CHECK(!std::signbit(nice_ticks(-0.0001, 10, 5).front()));   // a 0 tick is printed "0", never "-0"
}

TEST_CASE("the loss plot is an SVG with axes, labels, legend and one polyline per series") {
  std::vector<metrics_record> rs;
  for (int i = 0; i <= 100; i += 10) {
    metrics_record r;
    r.iter = i;
    r.loss = 4.0 - i * 0.02;
    rs.push_back(r);
    if (i % 50 == 0) {
      metrics_record e;
      e.iter = i;
      e.train_loss = 4.1 - i * 0.02;
      e.val_loss = 4.2 - i * 0.015;
      rs.push_back(e);
    }
  }
  loss_plot_options o;
  o.title = "run <1> & co";
  std::string svg;
  REQUIRE(loss_plot_svg(rs, o, svg));
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t p = svg.find(needle); p != std::string::npos; p = svg.find(needle, p + 1)) n++;
    return n;
  };
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(count("<polyline") == 3);
  CHECK(count("<circle") == 6);   // 3 evaluations x (train, val)
  CHECK(svg.find(">iteration</text>") != std::string::npos);
  CHECK(svg.find(">loss (cross-entropy, nats)</text>") != std::string::npos);
  CHECK(svg.find(">train loss</text>") != std::string::npos);
  CHECK(svg.find(">val loss</text>") != std::string::npos);
  CHECK(svg.find(">batch loss</text>") != std::string::npos);
  CHECK(svg.find("run &lt;1&gt; &amp; co") != std::string::npos);
  CHECK(svg.find(">100</text>") != std::string::npos);   // the last x tick

  o.batch_loss = false;
  REQUIRE(loss_plot_svg(rs, o, svg));
  CHECK(count("<polyline") == 2);
  CHECK(svg.find("batch loss") == std::string::npos);

  std::vector<metrics_record> empty(1);
  CHECK(loss_plot_svg(empty, o, svg).message() == "the metrics log holds no loss values to plot");
}

// ---------------------------------------------------------------- a real GPT through the session

#include "train/session.h"

namespace {

std::string write_corpus() {
  std::string path = tmp_path("corpus.txt");
  std::ofstream out(path);
  rng g(5);
  const char* words[] = {"the ", "king ", "and ", "queen ", "of ", "verona ", "speak ", "softly\n"};
  for (int i = 0; i < 800; i++) out << words[g.below(8)];
  return path;
}

train_config gpt_config_for(const std::string& corpus, const std::string& name) {
  train_config c;
  c.layers = 1, c.heads = 2, c.embd = 16, c.context = 8, c.batch = 3;
  c.dropout = 0.1f;
  c.iters = 12;
  c.schedule.warmup_iters = 2;
  c.eval_interval = 4;
  c.eval_iters = 2;
  c.data = corpus;
  c.out = tmp_path(name + ".pluma");
  return c;
}

std::vector<float> run_losses(train_session& s) {
  std::vector<float> losses;
  train_result res;
  status st = s.tr->run(
      [&](const train_progress& p) {
        if (p.event == train_progress::kind::step) losses.push_back(p.loss);
        return true;
      },
      res);
  REQUIRE(st);
  return losses;
}

}  // namespace

namespace {

// 12 iterations straight, and 6 then 6 more resumed from the checkpoint (on resume_threads OpenMP threads
// when not 0): the losses and the parameters equal bit for bit. The straight run's losses.
std::vector<float> check_resume_exact(const std::string& corpus, const std::string& name, int resume_threads = 0) {
  train_session straight;
  REQUIRE(train_session_open(gpt_config_for(corpus, name + "_straight"), straight));
  std::vector<float> all = run_losses(straight);
  REQUIRE(all.size() == 12);

  train_config c1 = gpt_config_for(corpus, name + "_split");
  c1.iters = 6;
  c1.schedule.decay_iters = 12;
  train_session first;
  REQUIRE(train_session_open(c1, first));
  std::vector<float> part1 = run_losses(first);

  train_session second;
  train_config saved;
  REQUIRE(train_session_read_resume(c1.out, second, saved));
  CHECK(saved.iters == 6);
  CHECK(saved.schedule.decay_iters == 12);
  saved.iters = 12;
  const int threads_before = omp_get_max_threads();
  if (resume_threads > 0) omp_set_num_threads(resume_threads);
  REQUIRE(train_session_open(saved, second));
  CHECK(second.resumed);
  CHECK(second.tr->step() == 6);
  CHECK(second.tr->lanes() == straight.tr->lanes());   // the checkpoint's, whatever the threads now
  std::vector<float> part2 = run_losses(second);
  omp_set_num_threads(threads_before);
  REQUIRE(part1.size() == 6);
  REQUIRE(part2.size() == 6);
  for (int i = 0; i < 12; i++) {
    CAPTURE(i);
    CHECK(same_bits(i < 6 ? part1[i] : part2[i - 6], all[i]));
  }
  CHECK(same_params(*second.model, *straight.model));
  CHECK(all.back() < all.front());
  return all;
}

}  // namespace

TEST_CASE("a tiny GPT resumes exactly through the session: 6 + 6 iterations equal 12 straight, bit for bit") {
  one_thread threads;
  std::string corpus = write_corpus();
  train_session s;
  REQUIRE(train_session_open(gpt_config_for(corpus, "gpt_first_look"), s));
  CHECK(s.model->kind() == model_kind::gpt);
  CHECK(s.tok->vocab_size() == 4 + 21);   // the specials and the corpus's 21 distinct characters
  CHECK(s.tr->lanes() == 1);
  check_resume_exact(corpus, "gpt");
}

TEST_CASE("on two threads a GPT trains in two lanes, resumes exactly on one thread, and learns as on one") {
  std::string corpus = write_corpus();
  std::vector<float> one_lane;
  {
    one_thread threads;
    train_session s;
    REQUIRE(train_session_open(gpt_config_for(corpus, "gpt_one_lane"), s));
    one_lane = run_losses(s);
  }
  threads_scope threads(2);
  train_session s;
  REQUIRE(train_session_open(gpt_config_for(corpus, "gpt_two_lanes"), s));
  CHECK(s.tr->lanes() == 2);
  // the checkpoint keeps the lane count: resumed on one thread, the two lanes run one after the other
  const std::vector<float> lanes = check_resume_exact(corpus, "gpt_lanes", /*resume_threads=*/1);
  // the first step's loss is the same batch's mean either way, but the lanes' dropout masks are their own
  CHECK(lanes.front() == doctest::Approx(one_lane.front()).epsilon(0.05));
  CHECK_FALSE(same_bits(lanes.front(), one_lane.front()));
  CHECK(one_lane.back() < one_lane.front());
  // --lanes 1 on two threads: the model alone, as on one thread (the ops' sums do not depend on the threads)
  train_config off = gpt_config_for(corpus, "gpt_lanes_off");
  off.lanes = 1;
  train_session o;
  REQUIRE(train_session_open(off, o));
  CHECK(o.tr->lanes() == 1);
  const std::vector<float> off_losses = run_losses(o);
  for (int i = 0; i < 12; i++) CHECK(same_bits(off_losses[i], one_lane[i]));
}

TEST_CASE("the session refuses a context longer than a split and a too-large model, with what to do") {
  std::string corpus = write_corpus();
  train_config c = gpt_config_for(corpus, "gpt_bad");
  c.context = 2000;   // the validation split holds ~450 characters
  train_session s;
  status st = train_session_open(c, s);
  CHECK(st.message().rfind("the validation split: ", 0) == 0);
  CHECK(st.message().find("(or a larger --val-fraction)") != std::string::npos);

  CHECK(memory_check(3ull << 30, 1ull << 30, c).message().rfind(
            "the model needs about 3.00 GiB to train (parameters, gradients, optimizer moments and activations at "
            "micro-batch 3, context 2000) but only 1.00 GiB of memory is available; ",
            0) == 0);
  CHECK(memory_check(3ull << 30, 0, c));   // unknown availability: accepted
  CHECK(memory_available_bytes() > 0);
}
