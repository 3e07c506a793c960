// The translator in the one trainer: exact resume (N then M steps = N+M straight, bit for bit on one thread,
// at an epoch's end and inside one, with the plateau state and the best-BLEU parameters), the plateau rule, the
// batch slices that weigh rows by their targets, and the factory and checkpoint by "kind".
#include <doctest/doctest.h>
#include <omp.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "model/model_io.h"
#include "model/rnn/seq2seq_io.h"
#include "train/lr_schedule.h"
#include "train/session.h"

using namespace pluma;

namespace {

std::string tmp_dir() {
  auto dir = std::filesystem::temp_directory_path() / "pluma_test_seq2seq_train";
  std::filesystem::create_directories(dir);
  return dir.string();
}

// "a b c" -> "CC BB AA": 240 training and 40 validation pairs of 2 to 6 words
void write_corpus(const std::string& dir) {
  std::ofstream ts(dir + "/train.src"), tt(dir + "/train.tgt"), vs(dir + "/val.src"), vt(dir + "/val.tgt");
  rng g(7);
  for (int i = 0; i < 280; i++) {
    const int n = 2 + static_cast<int>(g.below(5));
    std::string s, t;
    for (int k = 0; k < n; k++) {
      const char c = static_cast<char>('a' + g.below(8));
      s += (k ? " " : "") + std::string(1, c);
      t = std::string(2, static_cast<char>(c - 'a' + 'A')) + (k ? " " : "") + t;
    }
    (i < 240 ? ts : vs) << s << '\n';
    (i < 240 ? tt : vt) << t << '\n';
  }
}

train_config tiny_config(const std::string& dir, const std::string& out) {
  train_config c;
  train_model_defaults(model_kind::seq2seq, c);
  c.src = dir + "/train.src", c.tgt = dir + "/train.tgt", c.valid_src = dir + "/val.src", c.valid_tgt = dir + "/val.tgt";
  c.tokenizer = "word";
  c.embd = 12, c.hidden = 10, c.dec_hidden = 16, c.dropout = 0.2f;
  c.batch = 32;   // 8 batches an epoch
  c.schedule.lr_max = 0.3;
  c.schedule.plateau_factor = 0.5;
  c.log_interval = 1;
  c.out = out;
  return c;
}

struct run_log {
  std::vector<float> losses;     // every step's
  std::vector<double> bleus;     // every evaluation's
};

run_log run(train_session& s) {
  run_log log;
  train_result res;
  const status st = s.tr->run(
      [&](const train_progress& p) {
        if (p.event == train_progress::kind::step) log.losses.push_back(p.loss);
        if (p.event == train_progress::kind::eval && p.eval.val_bleu) log.bleus.push_back(*p.eval.val_bleu);
        return true;
      },
      res);
  REQUIRE_MESSAGE(st.is_ok(), st.message());
  return log;
}

// Every F32 tensor (best and latest parameters, moments) and the training position of two checkpoints.
void check_same_checkpoints(const std::string& a_path, const std::string& b_path) {
  checkpoint a, b;
  REQUIRE(checkpoint_read(a_path, a).is_ok());
  REQUIRE(checkpoint_read(b_path, b).is_ok());
  REQUIRE(a.tensors.size() == b.tensors.size());
  int f32 = 0;
  for (const auto& t : a.tensors) {
    const checkpoint_tensor* u = b.find(t.name);
    REQUIRE_MESSAGE(u, t.name);
    if (t.dtype != tensor_dtype::f32) continue;
    f32++;
    CHECK_MESSAGE(t.bytes == u->bytes, t.name);
  }
  CHECK(f32 > 40);   // parameters, the latest parameters, two moments
  auto ta = nlohmann::json::parse(a.metadata.at("training")), tb = nlohmann::json::parse(b.metadata.at("training"));
  for (const char* key : {"step", "optimizer_steps", "dropout_rng", "sampler", "plateau", "best", "evaluated_at"})
    CHECK_MESSAGE(ta[key] == tb[key], key);
}

}  // namespace

TEST_CASE("seq2seq: N then M steps equal N+M straight, bit for bit, inside an epoch and at its end") {
  omp_set_num_threads(1);
  const std::string dir = tmp_dir();
  write_corpus(dir);
  const int total = 28;
  train_session straight;
  REQUIRE(train_session_open([&] {
    train_config c = tiny_config(dir, dir + "/straight.pluma");
    c.iters = total;
    return c;
  }(), straight));
  CHECK(straight.model->kind() == model_kind::seq2seq);
  const run_log all = run(straight);
  REQUIRE(all.losses.size() == total);
  REQUIRE(all.bleus.size() == 4);   // after epochs 1, 2, 3 and at the end
  {
    checkpoint ck;
    REQUIRE(checkpoint_read(dir + "/straight.pluma", ck).is_ok());
    const auto t = nlohmann::json::parse(ck.metadata.at("training"));
    CHECK(t["best"]["metric"] == "bleu");
    CHECK(t["plateau"]["scale"].get<double>() == 0.5);   // one evaluation did not improve: the rate halved
    CHECK(ck.find("training.params.proj.bias"));   // the latest beside the best
  }
  for (int first : {8, 19}) {   // at the first epoch's end; inside the third epoch
    CAPTURE(first);
    const std::string split = dir + "/split" + std::to_string(first) + ".pluma";
    train_session a;
    train_config c1 = tiny_config(dir, split);
    c1.iters = first;
    REQUIRE(train_session_open(c1, a));
    const run_log head = run(a);
    train_session b;
    train_config saved;
    REQUIRE(train_session_read_resume(split, b, saved).is_ok());
    saved.iters = total;
    saved.out = split;
    const status st = train_session_open(saved, b);
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    CHECK(b.tr->step() == first);
    const run_log tail = run(b);
    std::vector<float> joined = head.losses;
    joined.insert(joined.end(), tail.losses.begin(), tail.losses.end());
    REQUIRE(joined.size() == all.losses.size());
    for (size_t i = 0; i < joined.size(); i++) CHECK_MESSAGE(std::memcmp(&joined[i], &all.losses[i], 4) == 0, i);
    check_same_checkpoints(dir + "/straight.pluma", split);
  }
  // the checkpoint translates: the best parameters and both tokenizers come back by "kind"
  std::unique_ptr<seq2seq_model> m;
  std::unique_ptr<tokenizer> src, tgt;
  REQUIRE(seq2seq_load(dir + "/straight.pluma", m, src, tgt).is_ok());
  checkpoint ck;
  REQUIRE(checkpoint_read(dir + "/straight.pluma", ck).is_ok());
  CHECK(nlohmann::json::parse(ck.metadata.at("config"))["kind"] == "seq2seq");
  std::unique_ptr<lm_model> lm;
  CHECK(checkpoint_load_model(ck, lm, tgt).message() ==
        "checkpoint holds a seq2seq translator, not a language model (use it with pluma translate)");
  std::filesystem::remove_all(dir);
}

TEST_CASE("seq2seq: a run stops at --max-epochs and refuses to resume past it") {
  omp_set_num_threads(1);
  const std::string dir = tmp_dir() + "/epochs";
  std::filesystem::create_directories(dir);
  write_corpus(dir);
  train_session s;
  train_config c = tiny_config(dir, dir + "/e.pluma");
  c.max_epochs = 2;
  REQUIRE(train_session_open(c, s));
  train_result res;
  REQUIRE(s.tr->run(nullptr, res).is_ok());
  CHECK(res.steps == 16);
  CHECK(res.stop_reason == "2 epochs done");
  CHECK_FALSE(res.stopped_early);
  CHECK(res.best.has_value());
  train_session again;
  train_config saved;
  REQUIRE(train_session_read_resume(dir + "/e.pluma", again, saved).is_ok());
  CHECK(train_session_open(saved, again).message().find("has trained 2 epochs already (--max-epochs)") !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("plateau schedule: the rate halves after an evaluation that does not improve") {
  lr_schedule s{lr_schedule_kind::plateau, 1e-3, 0, 0, 0, 0.5};
  lr_plateau p;
  CHECK(lr_at(s, 5, p) == 1e-3);
  lr_plateau_update(s, p, 3.0);
  CHECK(lr_at(s, 5, p) == 1e-3);   // the first is an improvement
  lr_plateau_update(s, p, 2.9);
  CHECK(lr_at(s, 5, p) == 1e-3);
  lr_plateau_update(s, p, 2.9999);
  CHECK(lr_at(s, 5, p) == 5e-4);
  lr_plateau_update(s, p, 2.89999);   // better, but by less than 1e-4 relative
  CHECK(lr_at(s, 5, p) == 2.5e-4);
  lr_plateau back;
  REQUIRE(lr_plateau_from_json(lr_plateau_to_json(p), back).is_ok());
  CHECK(back.scale == p.scale);
  CHECK(back.best == p.best);
  CHECK(lr_plateau_from_json(nlohmann::json{{"scale", 1}}, back).message() ==
        "the learning-rate plateau state is malformed");
  lr_schedule cosine{lr_schedule_kind::cosine, 1e-3, 1e-4, 0, 100};
  lr_plateau_update(cosine, p, 100.0);   // nothing for the other kinds
  CHECK(lr_at(cosine, 0, p) == lr_at(cosine, 0));
}

TEST_CASE("train_batch: row slices and their scored targets") {
  std::vector<int> in(3 * 4), tg(3 * 4), src(3 * 2), src_len = {2, 1, 2}, tgt_len = {4, 1, 3};
  for (size_t i = 0; i < in.size(); i++) in[i] = int(i);
  train_batch b;
  b.B = 3, b.T = 4, b.S = 2;
  b.inputs = in.data(), b.targets = tg.data(), b.src = src.data(), b.src_len = src_len.data(), b.tgt_len = tgt_len.data();
  CHECK(b.scored(0, 3) == 8);
  const train_batch r = b.rows(1, 2);
  CHECK(r.B == 2);
  CHECK(r.inputs[0] == 4);
  CHECK(r.src == src.data() + 2);
  CHECK(r.scored(0, 2) == 4);
  b.tgt_len = nullptr;   // a language model's windows: every target scored
  CHECK(b.scored(1, 2) == 8);
}

TEST_CASE("the factory builds every kind by \"kind\"; old translator checkpoints name it \"model\"") {
  seq2seq_config sc;
  sc.src_vocab_size = 9, sc.vocab_size = 11, sc.emb = 4, sc.enc_hidden = 4, sc.dec_hidden = 6;
  std::unique_ptr<trainable> t;
  REQUIRE(trainable_create(seq2seq_config_to_json(sc), t).is_ok());
  CHECK(t->kind() == model_kind::seq2seq);
  CHECK(t->config_json()["kind"] == "seq2seq");
  std::unique_ptr<lm_model> lm;
  CHECK(model_create(seq2seq_config_to_json(sc), lm).message() ==
        "the model is a seq2seq translator, not a language model (use it with pluma translate)");
  nlohmann::json old = seq2seq_config_to_json(sc);
  old.erase("kind");
  old["model"] = "seq2seq";
  seq2seq_config back;
  CHECK(seq2seq_config_from_json(old, back).is_ok());
  CHECK(back.dec_hidden == 6);
}
