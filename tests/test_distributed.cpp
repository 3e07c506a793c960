// train/distributed and the data-parallel trainer. Under ctest this runs as one process (the single-process
// communicator); tests/cli/mpi.sh runs it again under `mpirun -np 2`, where the same cases check the MPI
// collectives and a toy trainer over two ranks against one process. Every case is written for any rank count.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "tests/train_toy.h"
#include "train/distributed.h"
#include "train/trainer.h"

using namespace pluma;

namespace {

// The run's communicator, opened once; finalized when the program ends.
struct world_holder {
  std::unique_ptr<communicator> comm;
  world_holder() {
    status st = communicator_open(comm);
    if (!st) {
      std::fprintf(stderr, "test_distributed: %s\n", st.message().c_str());
      std::exit(1);
    }
  }
  ~world_holder() { comm->finalize(); }
};
communicator& world() {
  static world_holder w;
  return *w.comm;
}

// Sets environment variables for one scope and puts the old values back.
struct env_override {
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  void set(const std::string& name, const char* value) {
    const char* old = std::getenv(name.c_str());
    saved.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
    if (value) setenv(name.c_str(), value, 1);
    else unsetenv(name.c_str());
  }
  ~env_override() {
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
      if (it->second) setenv(it->first.c_str(), it->second->c_str(), 1);
      else unsetenv(it->first.c_str());
    }
  }
};

const char* const launcher_vars[] = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE",
                                     "PMIX_RANK"};

}  // namespace

// ---------------------------------------------------------------- pure helpers

TEST_CASE("batch slices: equal consecutive rows per rank") {
  CHECK(batch_slice_of(12, 0, 1).first == 0);
  CHECK(batch_slice_of(12, 0, 1).count == 12);
  CHECK(batch_slice_of(12, 0, 2).first == 0);
  CHECK(batch_slice_of(12, 1, 2).first == 6);
  CHECK(batch_slice_of(12, 1, 2).count == 6);
  CHECK(batch_slice_of(12, 2, 3).first == 8);
  CHECK(batch_slice_of(12, 2, 3).count == 4);
}

TEST_CASE("a batch that does not split over the ranks is refused with what to give") {
  CHECK(distributed_check_batch(12, 1, 2));
  CHECK(distributed_check_batch(12, 2, 3));
  CHECK(distributed_check_batch(7, 1, 1));
  CHECK(distributed_check_batch(7, 1, 2).message() ==
        "--batch 7 (the global batch) does not split evenly over 2 ranks; give a --batch divisible by 2");
  CHECK(distributed_check_batch(12, 4, 2).message() ==
        "--batch 12 (the global batch) does not split evenly over 2 ranks x --grad-accum 4; give a --batch "
        "divisible by 8");
}

TEST_CASE("the launch is read from the launcher's environment") {
  env_override env;
  for (const char* v : launcher_vars) env.set(v, nullptr);
  launch_info none = launch_info_from_env();
  CHECK(!none.launched);
  CHECK(none.rank == 0);
  CHECK(none.size == 1);
  {
    env_override e;
    e.set("OMPI_COMM_WORLD_RANK", "3");
    e.set("OMPI_COMM_WORLD_SIZE", "4");
    launch_info li = launch_info_from_env();
    CHECK(li.launched);
    CHECK(li.rank == 3);
    CHECK(li.size == 4);
  }
  {
    env_override e;
    e.set("PMI_RANK", "1");
    e.set("PMI_SIZE", "2");
    launch_info li = launch_info_from_env();
    CHECK((li.launched && li.rank == 1 && li.size == 2));
  }
  {
    env_override e;
    e.set("PMIX_RANK", "5");
    launch_info li = launch_info_from_env();
    CHECK((li.launched && li.rank == 5 && li.size == 0));   // PMIx tells the rank only
  }
  {
    env_override e;
    e.set("OMPI_COMM_WORLD_RANK", "x1");
    CHECK(!launch_info_from_env().launched);   // malformed: not a launch
  }
}

TEST_CASE("bytes_hash tells different blocks apart and chains") {
  std::vector<float> a(1000, 1.0f), b = a;
  CHECK(bytes_hash(a.data(), a.size() * 4) == bytes_hash(b.data(), b.size() * 4));
  b[999] = std::nextafter(1.0f, 2.0f);
  CHECK(bytes_hash(a.data(), a.size() * 4) != bytes_hash(b.data(), b.size() * 4));
  CHECK(bytes_hash(a.data(), 3) != bytes_hash(a.data(), 4));
  uint64_t h = bytes_hash(a.data(), 400);
  CHECK(bytes_hash(a.data() + 100, 400, h) != h);
}

TEST_CASE("the single-process communicator: every collective is the identity") {
  communicator& c = single_process_communicator();
  CHECK(c.rank() == 0);
  CHECK(c.size() == 1);
  CHECK(std::string(c.backend()) == "single process");
  float x[3] = {1.5f, -2.0f, 3.25f};
  size_t before = c.bytes_reduced();
  c.allreduce_mean(x, 3);
  CHECK((x[0] == 1.5f && x[1] == -2.0f && x[2] == 3.25f));
  CHECK(c.bytes_reduced() == before + 12);
  CHECK(c.allreduce_min(7) == 7);
  CHECK(c.allreduce_max(-7) == -7);
  CHECK(distributed_agree(c, status::error("boom")).message() == "boom");
  CHECK(distributed_agree(c, status::ok()));
  CHECK(distributed_check_same(c, 42, "x"));
}

// ---------------------------------------------------------------- the run's communicator (any rank count)

TEST_CASE("all-reduce: the sum and the mean of every rank's block, on every rank") {
  communicator& c = world();
  const int n = c.size(), r = c.rank();
  std::vector<float> v(1001);
  for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<float>(r + 1) * static_cast<float>(i % 5);
  c.allreduce_sum(v.data(), v.size());
  const float ranks_sum = static_cast<float>(n * (n + 1) / 2);
  bool ok = true;
  for (size_t i = 0; i < v.size(); i++) ok = ok && v[i] == ranks_sum * static_cast<float>(i % 5);
  CHECK(ok);
  for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<float>(r) + 0.25f;
  c.allreduce_mean(v.data(), v.size());
  CHECK(v[0] == doctest::Approx((n - 1) / 2.0 + 0.25).epsilon(1e-6));
  CHECK(v[1000] == v[0]);
  CHECK(c.allreduce_min(10 + r) == 10);
  CHECK(c.allreduce_max(10 + r) == 10 + n - 1);
}

TEST_CASE("all-reduce over more than one bucket") {
  communicator& c = world();
  const size_t n = communicator::allreduce_bucket_floats + 37;
  std::vector<float> v(n, static_cast<float>(c.rank() + 1));
  v[n - 1] = static_cast<float>(2 * c.rank());
  c.allreduce_sum(v.data(), n);
  const int s = c.size();
  CHECK(v[0] == static_cast<float>(s * (s + 1) / 2));
  CHECK(v[communicator::allreduce_bucket_floats] == v[0]);   // the first float of the second bucket
  CHECK(v[n - 1] == static_cast<float>(s * (s - 1)));
}

TEST_CASE("broadcast from any root; gathering rows computed by their ranks") {
  communicator& c = world();
  const int n = c.size(), r = c.rank();
  const int root = n - 1;
  double d[2] = {r == root ? 2.5 : 0.0, r == root ? -1.0 : 9.0};
  c.broadcast(d, sizeof d, root);
  CHECK((d[0] == 2.5 && d[1] == -1.0));

  // (L, B, H) = (2, 2n, 3): each rank fills its rows with rank-tagged values, garbage elsewhere
  const int L = 2, B = 2 * n, H = 3;
  std::vector<float> s(static_cast<size_t>(L) * B * H, -99.0f);
  batch_slice mine = batch_slice_of(B, r, n);
  for (int l = 0; l < L; l++)
    for (int b = mine.first; b < mine.first + mine.count; b++)
      for (int h = 0; h < H; h++) s[(static_cast<size_t>(l) * B + b) * H + h] = 100.0f * l + 10.0f * b + h + 0.5f;
  distributed_gather_rows(c, s.data(), L, B, H);
  bool ok = true;
  for (int l = 0; l < L; l++)
    for (int b = 0; b < B; b++)
      for (int h = 0; h < H; h++) ok = ok && s[(static_cast<size_t>(l) * B + b) * H + h] == 100.0f * l + 10.0f * b + h + 0.5f;
  CHECK(ok);
}

TEST_CASE("agreement: every rank gets the lowest failing rank's message") {
  communicator& c = world();
  const int n = c.size(), r = c.rank();
  CHECK(distributed_agree(c, status::ok()));
  // the last rank fails alone
  status st = distributed_agree(c, r == n - 1 ? status::error("disk full") : status::ok());
  CHECK(st.message() == (n == 1 ? std::string("disk full") : "rank " + std::to_string(n - 1) + ": disk full"));
  // every rank fails: rank 0's message, unprefixed
  st = distributed_agree(c, status::error("message of rank " + std::to_string(r)));
  CHECK(st.message() == "message of rank 0");
  CHECK(distributed_check_same(c, 5, "thing"));
  st = distributed_check_same(c, r == n - 1 && n > 1 ? 6 : 5, "thing");
  if (n > 1) CHECK(st.message() == "rank " + std::to_string(n - 1) + "'s thing differs from rank 0's");
  else CHECK(st);
}

// ---------------------------------------------------------------- the data-parallel trainer (toy model)

namespace {

constexpr int toy_V = 11;

std::string tmp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "pluma_test_distributed";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// A toy run without dropout, over `comm`: the batch of 12 is split over the ranks.
struct toy_dp_run {
  train_config cfg;
  toy::bigram_model model{toy_V, 0.0f};
  toy::letters tok{toy_V};
  std::vector<int> train_part, val_part;
  std::unique_ptr<window_batches> sampler;
  fixed_batches train_eval, val_eval;
  std::unique_ptr<trainer> tr;
  std::vector<float> losses;
  std::vector<train_progress> events;
  int stop_after = -1;   // this rank's callback asks to stop after this iteration

  explicit toy_dp_run(const train_config& c) : cfg(c), losses(c.iters, NAN) {
    auto tokens = toy::toy_tokens(toy_V, 3000, 99);
    train_part.assign(tokens.begin(), tokens.begin() + 2700);
    val_part.assign(tokens.begin() + 2700, tokens.end());
    std::unique_ptr<window_batches> e1, e2;
    REQUIRE(window_batches::create(token_view::of(train_part), cfg.batch, cfg.context, cfg.seed, "train", sampler));
    REQUIRE(window_batches::create(token_view::of(train_part), cfg.batch, cfg.context, cfg.seed + 1, "train", e1));
    REQUIRE(window_batches::create(token_view::of(val_part), cfg.batch, cfg.context, cfg.seed + 2, "val", e2));
    train_eval = fixed_batches_draw(*e1, cfg.eval_iters);
    val_eval = fixed_batches_draw(*e2, cfg.eval_iters);
    model.init_params(cfg.seed);
    tr = std::make_unique<trainer>(model, tok, *sampler, train_eval, val_eval, cfg);
  }
  status run(train_result* res = nullptr) {
    train_result r;
    status st = tr->run(
        [&](const train_progress& p) {
          if (p.event != train_progress::kind::step) {
            events.push_back(p);
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

train_config toy_dp_config(const std::string& name, int rank) {
  train_config c;
  c.batch = 12;
  c.context = 8;
  c.iters = 20;
  c.schedule = {lr_schedule_kind::cosine, 0.05, 0.005, 3, 0};
  c.optim.weight_decay = 0.1f;
  c.eval_interval = 10;
  c.eval_iters = 2;
  c.log_interval = 1;
  c.seed = 7;
  // per-rank paths: only rank 0's may appear
  c.out = tmp_path(name + ".r" + std::to_string(rank) + ".pluma");
  c.metrics = tmp_path(name + ".r" + std::to_string(rank) + ".jsonl");
  std::filesystem::remove(c.out);
  std::filesystem::remove(c.metrics);
  return c;
}

}  // namespace

TEST_CASE("the ranks together take one process's steps; rank 0 alone writes") {
  communicator& c = world();
  const int r = c.rank();
  train_config one_cfg = toy_dp_config("one", r);
  toy_dp_run one(one_cfg);   // every rank also trains alone, as the reference
  REQUIRE(one.run());

  toy_dp_run dp(toy_dp_config("dp", r));
  dp.model.init_params(r == 0 ? dp.cfg.seed : 1000 + r);   // other ranks start elsewhere: distribute() gives rank 0's
  REQUIRE(dp.tr->distribute(c));
  train_result res;
  REQUIRE(dp.run(&res));
  CHECK(res.steps == 20);
  for (int i = 0; i < 20; i++) {
    CAPTURE(i);
    CHECK(dp.losses[i] == doctest::Approx(one.losses[i]).epsilon(1e-5));
  }
  for (size_t i = 0; i < dp.model.params().size(); i++)
    CHECK(dp.model.params().data()[i] == doctest::Approx(one.model.params().data()[i]).epsilon(1e-5));
  const train_progress& last_eval = one.events[one.events.size() - 2];   // the end's evaluation, then its checkpoint
  REQUIRE(last_eval.event == train_progress::kind::eval);
  CHECK(res.val_loss == doctest::Approx(last_eval.eval.val_loss).epsilon(1e-5));
  CHECK(res.train_loss == doctest::Approx(last_eval.eval.train_loss.value_or(-1)).epsilon(1e-5));
  CHECK(std::filesystem::exists(dp.cfg.out) == (r == 0));
  CHECK(std::filesystem::exists(dp.cfg.metrics) == (r == 0));
}

TEST_CASE("rank 0's callback decides when every rank stops") {
  communicator& c = world();
  const int r = c.rank();
  toy_dp_run dp(toy_dp_config("stop", r));
  dp.stop_after = r == 0 ? 6 : 3;   // the other ranks' wish to stop earlier is overruled
  REQUIRE(dp.tr->distribute(c));
  train_result res;
  REQUIRE(dp.run(&res));
  CHECK(res.steps == 6);
  CHECK(res.stopped_early);
  CHECK(res.stop_reason == (r == 0 ? "stopped on request" : "stopped by rank 0"));
  CHECK(c.allreduce_max(dp.tr->step()) == c.allreduce_min(dp.tr->step()));
}

TEST_CASE("a NaN on one rank stops every rank, before the update, with the same message") {
  communicator& c = world();
  const int n = c.size(), r = c.rank();
  train_config cfg = toy_dp_config("nan", r);
  cfg.checkpoint_interval = 5;
  toy_dp_run dp(cfg);
  if (r == n - 1) dp.model.poison_at = 8;   // the last rank's 8th forward_backward: iteration 7
  REQUIRE(dp.tr->distribute(c));
  status st = dp.run();
  CHECK(st.message().rfind("the loss became NaN at iteration 7 (lr ", 0) == 0);
  CHECK(st.message().find("the last good checkpoint '" + cfg.out + "' (iteration 5) is kept") != std::string::npos);
  CHECK(dp.tr->step() == 7);
}

TEST_CASE("distribute refuses a batch that does not split over the ranks") {
  communicator& c = world();
  train_config cfg = toy_dp_config("split", c.rank());
  cfg.batch = 2 * c.size() + 1;
  toy_dp_run dp(cfg);
  status st = dp.tr->distribute(c);
  if (c.size() == 1) CHECK(st);
  else CHECK(st.message() == distributed_check_batch(cfg.batch, 1, c.size()).message());
}
