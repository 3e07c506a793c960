// Training the LSTM LM: the LSTM recipe and presets, truncated BPTT in the trainer (the carried state reset
// at every new pass of the stream sampler, kept per stream across micro-batches, zero for random windows),
// the carried state in checkpoints, and an exact resume through the session.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "model/rnn/lstm_lm.h"
#include "tests/threads_scope.h"
#include "tests/train_toy.h"
#include "train/carried_state.h"
#include "train/session.h"
#include "train/train_config.h"

using namespace pluma;

namespace {

std::string tmp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "pluma_test_train_lstm";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct one_thread : threads_scope {
  one_thread() : threads_scope(1) {}
};

// 100 characters: a 90-token training split and a 10-token validation split. With batch 3 and seq-len 6 every
// stream holds 30 tokens, so a pass of the stream sampler is (30 - 1) / 6 = 4 batches.
std::string write_corpus() {
  std::string path = tmp_path("corpus.txt");
  std::string line = "the king and queen of verona speak softly\n";
  std::string text;
  while (text.size() < 100) text += line;
  std::ofstream(path) << text.substr(0, 100);
  return path;
}

train_config lstm_config_for(const std::string& corpus, const std::string& name) {
  train_config c;
  train_model_defaults(model_kind::lstm, c);
  c.layers = 2, c.hidden = 12, c.embd = 8, c.context = 6, c.batch = 3;
  c.dropout = 0.2f;
  c.iters = 12;
  c.eval_interval = 4;
  c.eval_iters = 2;
  c.schedule.lr_max = 1e-2;
  c.data = corpus;
  c.out = tmp_path(name + ".pluma");
  return c;
}

lstm_lm& lstm_of(train_session& s) { return dynamic_cast<lstm_lm&>(*s.model); }

std::vector<float> run_losses(train_session& s, const train_callback& also = nullptr) {
  std::vector<float> losses;
  train_result res;
  status st = s.tr->run(
      [&](const train_progress& p) {
        if (p.event == train_progress::kind::step) losses.push_back(p.loss);
        return also ? also(p) : true;
      },
      res);
  REQUIRE(st);
  return losses;
}

bool same_params(trainable& a, trainable& b) {
  return a.params().size() == b.params().size() &&
         std::memcmp(a.params().data(), b.params().data(), a.params().size() * sizeof(float)) == 0;
}

// The training batches the session's sampler will give, drawn from a second sampler of the same kind.
struct batch_list {
  int B = 0, T = 0;
  std::vector<std::vector<int>> inputs, targets;
  std::vector<bool> fresh;
};
batch_list draw_batches(const train_session& s, int n) {
  std::unique_ptr<batch_sampler> smp;
  const train_config& c = s.cfg;
  if (c.sampler == sampler_kind::stream) {
    std::unique_ptr<stream_batches> st;
    REQUIRE(stream_batches::create(s.train_tokens, c.batch, c.context, "train", st));
    smp = std::move(st);
  } else {
    std::unique_ptr<window_batches> w;
    REQUIRE(window_batches::create(s.train_tokens, c.batch, c.context, c.seed, "train", w));
    smp = std::move(w);
  }
  batch_list b;
  b.B = c.batch, b.T = c.context;
  for (int i = 0; i < n; i++) {
    b.inputs.emplace_back(c.batch * c.context);
    b.targets.emplace_back(c.batch * c.context);
    b.fresh.push_back(smp->next(b.inputs.back().data(), b.targets.back().data()));
  }
  return b;
}

// For every step k > 0: the loss of batch k from zeros and from the state carried out of step k-1, computed
// with the parameters step k uses (in the callback of step k-1, after its update).
struct state_probe {
  lstm_lm& model;
  batch_list batches;
  std::vector<float> from_zero = {}, from_carried = {};
  train_callback callback() {
    return [this](const train_progress& p) {
      if (p.event != train_progress::kind::step || p.iter + 1 >= static_cast<int>(batches.inputs.size())) return true;
      const int k = p.iter + 1, B = batches.B, T = batches.T;
      from_zero.resize(k + 1, NAN);
      from_carried.resize(k + 1, NAN);
      from_zero[k] = model.forward_stateful(batches.inputs[k].data(), batches.targets[k].data(), B, T, nullptr,
                                            nullptr, nullptr);
      if (model.state_batch()) {
        std::vector<float> h, c;
        model.get_state(h, c);
        from_carried[k] = model.forward_stateful(batches.inputs[k].data(), batches.targets[k].data(), B, T,
                                                 nullptr, h.data(), c.data());
      }
      return true;
    };
  }
};

}  // namespace

TEST_CASE("the lstm recipe: char-rnn's defaults, the two char-rnn presets, the sampler in the saved settings") {
  train_config d;
  train_model_defaults(model_kind::lstm, d);
  CHECK(d.model == model_kind::lstm);
  CHECK(d.layers == 2);
  CHECK(d.hidden == 128);
  CHECK(d.embd == 0);   // = hidden
  CHECK(d.context == 50);
  CHECK(d.batch == 50);
  CHECK(d.dropout == 0.0f);
  CHECK(d.schedule.kind == lr_schedule_kind::constant);
  CHECK(d.schedule.lr_max == doctest::Approx(2e-3));
  CHECK(d.schedule.warmup_iters == 0);
  CHECK(d.optim.kind == optimizer_kind::adam);
  CHECK(d.optim.beta2 == doctest::Approx(0.999f));
  CHECK(d.optim.weight_decay == 0.0f);
  CHECK(d.grad_clip == 5.0f);
  CHECK(d.sampler == sampler_kind::stream);
  CHECK(train_config_check(d));

  train_config small, big;
  REQUIRE(train_preset_apply("char-rnn-small", small));
  CHECK(train_config_to_json(small) == train_config_to_json(d));
  REQUIRE(train_preset_apply("char-rnn", big));
  CHECK(big.model == model_kind::lstm);
  CHECK(big.layers == 3);
  CHECK(big.hidden == 512);
  CHECK(big.dropout == doctest::Approx(0.5f));
  CHECK(big.context == 100);
  CHECK(big.batch == 50);
  CHECK(big.grad_clip == 5.0f);

  train_config g;
  train_model_defaults(model_kind::gpt, g);
  CHECK(train_config_to_json(g) == train_config_to_json(train_config{}));
  CHECK(g.sampler == sampler_kind::windows);

  // the sampler is saved; settings saved before it existed read as each model's former sampler
  d.sampler = sampler_kind::windows;
  train_config back;
  REQUIRE(train_config_from_json(train_config_to_json(d), back));
  CHECK(back.sampler == sampler_kind::windows);
  nlohmann::json old = train_config_to_json(d);
  old.erase("sampler");
  REQUIRE(train_config_from_json(old, back));
  CHECK(back.sampler == sampler_kind::stream);
  old["model"] = "gpt";
  REQUIRE(train_config_from_json(old, back));
  CHECK(back.sampler == sampler_kind::windows);
  old["sampler"] = "shuffle";
  CHECK(train_config_from_json(old, back).message() == "unknown sampler 'shuffle' (expected windows or stream)");
}

TEST_CASE("stream sampler: each step starts from the carried state, and from zeros at every new pass") {
  one_thread threads;
  train_config c = lstm_config_for(write_corpus(), "lstm_pass");
  c.dropout = 0.0f;   // the probe's forward has no dropout
  train_session s;
  REQUIRE(train_session_open(c, s));
  REQUIRE(s.train_tokens.size() == 90);
  CHECK(lstm_of(s).config().carry_state);
  state_probe probe{lstm_of(s), draw_batches(s, 12)};
  std::vector<bool> expect_fresh = {true, false, false, false, true, false, false, false, true, false, false, false};
  CHECK(probe.batches.fresh == expect_fresh);
  std::vector<float> losses = run_losses(s, probe.callback());
  REQUIRE(losses.size() == 12);
  for (int k = 1; k < 12; k++) {
    CAPTURE(k);
    REQUIRE(std::isfinite(probe.from_carried[k]));
    // the two starts give clearly different losses, so the comparison below tells them apart
    CHECK(std::fabs(probe.from_zero[k] - probe.from_carried[k]) > 1e-4f);
    const float expected = expect_fresh[k] ? probe.from_zero[k] : probe.from_carried[k];
    CHECK(losses[k] == doctest::Approx(expected).epsilon(1e-6));
  }
}

TEST_CASE("windows sampler: every step of an lstm starts from zeros, and nothing is carried or saved") {
  one_thread threads;
  train_config c = lstm_config_for(write_corpus(), "lstm_windows");
  c.dropout = 0.0f;
  c.sampler = sampler_kind::windows;
  train_session s;
  REQUIRE(train_session_open(c, s));
  CHECK(!lstm_of(s).config().carry_state);
  state_probe probe{lstm_of(s), draw_batches(s, 12)};
  std::vector<float> losses = run_losses(s, probe.callback());
  REQUIRE(losses.size() == 12);
  for (int k = 1; k < 12; k++) {
    CAPTURE(k);
    CHECK(std::isnan(probe.from_carried[k]));   // the model held no state after the step
    CHECK(losses[k] == doctest::Approx(probe.from_zero[k]).epsilon(1e-6));
  }
  checkpoint ck;
  REQUIRE(checkpoint_read(c.out, ck));
  CHECK(ck.find("training.state.h") == nullptr);
  CHECK(nlohmann::json::parse(ck.metadata.at("training"))["settings"]["sampler"] == "windows");
}

TEST_CASE("gradient accumulation keeps every stream's state: 3 micro-batches of 1 follow 1 batch of 3") {
  one_thread threads;
  std::string corpus = write_corpus();
  train_config c1 = lstm_config_for(corpus, "lstm_accum1");
  c1.dropout = 0.0f;   // dropout masks are drawn per micro-batch: the two runs would draw differently
  train_config c3 = c1;
  c3.grad_accum = 3;
  c3.out = tmp_path("lstm_accum3.pluma");
  train_session s1, s3;
  REQUIRE(train_session_open(c1, s1));
  REQUIRE(train_session_open(c3, s3));
  std::vector<float> l1 = run_losses(s1), l3 = run_losses(s3);
  REQUIRE(l1.size() == 12);
  REQUIRE(l3.size() == 12);
  for (int k = 0; k < 12; k++) {
    CAPTURE(k);
    CHECK(l3[k] == doctest::Approx(l1[k]).epsilon(1e-5));
  }
  checkpoint a, b;
  REQUIRE(checkpoint_read(c1.out, a));
  REQUIRE(checkpoint_read(c3.out, b));
  const checkpoint_tensor* ha = a.find("training.state.h");
  const checkpoint_tensor* hb = b.find("training.state.h");
  REQUIRE(ha);
  REQUIRE(hb);
  CHECK(ha->shape == std::vector<int64_t>{2, 3, 12});
  REQUIRE(hb->shape == ha->shape);
  float worst = 0;
  for (size_t i = 0; i < 2 * 3 * 12; i++) worst = std::max(worst, std::fabs(ha->f32()[i] - hb->f32()[i]));
  CHECK(worst < 1e-4f);
}

TEST_CASE("an lstm on the stream sampler resumes exactly: 6 + 6 iterations equal 12 straight, bit for bit") {
  one_thread threads;
  std::string corpus = write_corpus();
  train_session straight;
  REQUIRE(train_session_open(lstm_config_for(corpus, "lstm_straight"), straight));
  CHECK(straight.model->kind() == model_kind::lstm);
  std::vector<float> all = run_losses(straight);
  REQUIRE(all.size() == 12);
  CHECK(all.back() < all.front());

  // resume in the middle of the second pass (6) and exactly at the start of the third (8)
  for (int split : {6, 8}) {
    CAPTURE(split);
    train_config c1 = lstm_config_for(corpus, "lstm_split");
    c1.iters = split;
    train_session first;
    REQUIRE(train_session_open(c1, first));
    std::vector<float> part1 = run_losses(first);

    checkpoint ck;
    REQUIRE(checkpoint_read(c1.out, ck));
    const checkpoint_tensor* h = ck.find("training.state.h");
    REQUIRE(h);
    CHECK(h->shape == std::vector<int64_t>{2, 3, 12});   // (layers, batch, hidden)
    CHECK(ck.find("training.state.c"));

    train_session second;
    train_config saved;
    REQUIRE(train_session_read_resume(c1.out, second, saved));
    CHECK(saved.sampler == sampler_kind::stream);
    saved.iters = 12;
    REQUIRE(train_session_open(saved, second));
    REQUIRE(second.tr->step() == split);
    std::vector<float> part2 = run_losses(second);
    REQUIRE(part1.size() + part2.size() == 12);
    for (int i = 0; i < 12; i++) {
      CAPTURE(i);
      CHECK(same_bits(i < split ? part1[i] : part2[i - split], all[i]));
    }
    CHECK(same_params(*second.model, *straight.model));
  }

  // without the carried state in the checkpoint the resumed run starts from zeros mid-pass: it diverges
  checkpoint ck;
  train_config c1 = lstm_config_for(corpus, "lstm_split");
  c1.iters = 6;
  train_session first;
  REQUIRE(train_session_open(c1, first));
  run_losses(first);
  REQUIRE(checkpoint_read(c1.out, ck));
  std::erase_if(ck.tensors, [](const checkpoint_tensor& t) { return t.name.rfind("training.state.", 0) == 0; });
  const std::string stateless = tmp_path("lstm_stateless.pluma");
  REQUIRE(checkpoint_write(stateless, ck));
  train_session second;
  train_config saved;
  REQUIRE(train_session_read_resume(stateless, second, saved));
  saved.iters = 12;
  saved.out = stateless;
  REQUIRE(train_session_open(saved, second));
  std::vector<float> part2 = run_losses(second);
  REQUIRE(part2.size() == 6);
  CHECK(!same_bits(part2[0], all[6]));
}

TEST_CASE("carried_state: rows of micro-batches, checkpoint round trip, shape errors, inert for other models") {
  lstm_config lc;
  lc.vocab_size = 7, lc.embd = 3, lc.hidden = 2, lc.layers = 2;
  lstm_lm m(lc);
  carried_state cs(m, 4);   // (L 2, B 4, H 2)
  REQUIRE(cs.active());
  CHECK(cs.is_zero());
  cs.load(0, 2);
  CHECK(m.state_batch() == 0);   // zeros: the model's state is reset

  // the model ends micro-batch rows [2, 4) with a known state; rows [0, 2) stay zeros
  std::vector<float> h(2 * 2 * 2), c(h.size());
  for (size_t i = 0; i < h.size(); i++) h[i] = 1.0f + i, c[i] = -1.0f - i;
  m.set_state(h.data(), c.data(), 2);
  cs.store(2, 2);
  CHECK(!cs.is_zero());
  carried_state::snapshot snap = cs.save();
  // (l, b, k): layer 0 rows 2, 3 = h[0..3], layer 1 rows 2, 3 = h[4..7]
  CHECK(snap.h == std::vector<float>{0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8});
  CHECK(snap.c[4] == -1.0f);
  cs.load(2, 2);
  std::vector<float> h2, c2;
  m.get_state(h2, c2);
  CHECK(m.state_batch() == 2);
  CHECK(h2 == h);
  CHECK(c2 == c);

  checkpoint ck;
  cs.put(ck, snap);
  REQUIRE(ck.find("training.state.h"));
  carried_state back(m, 4);
  REQUIRE(back.restore(ck));
  CHECK(back.save().h == snap.h);
  CHECK(back.save().c == snap.c);
  carried_state other_batch(m, 3);
  CHECK(other_batch.restore(ck).message() ==
        "the carried LSTM state 'training.state.h' in the checkpoint is not (layers 2, batch 3, hidden 2); resume "
        "with the checkpoint's --batch");
  checkpoint half;
  half.tensors.push_back(*ck.find("training.state.h"));
  CHECK(back.restore(half).message() == "the checkpoint holds only half of the carried LSTM state (h or c is missing)");
  cs.clear();
  CHECK(cs.is_zero());
  checkpoint none;
  cs.put(none, cs.save());
  CHECK(none.tensors.empty());   // zeros are not written

  toy::bigram_model toy_model(5);
  carried_state inert(toy_model, 4);
  CHECK(!inert.active());
  inert.load(0, 4);
  inert.store(0, 4);
  CHECK(inert.save().zero);
  REQUIRE(inert.restore(ck));   // a GPT-like model ignores the tensors
  inert.put(none, snap);
  CHECK(none.tensors.empty());
}
