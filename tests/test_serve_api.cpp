// pluma serve's API as functions (tools/serve/api.h, generate_stream.h): answers equal what the CLI's code
// paths give, mistakes are 400/413 with the CLI's words, a gone client stops a generation.
#include <doctest/doctest.h>

#include <string>

#include <fstream>

#include "generate/decode_loop.h"
#include "generate/inspect.h"
#include "generate/inspect_json.h"
#include "tools/serve/api.h"
#include "tools/serve/generate_stream.h"
#include "model/checkpoint.h"
#include "model/model_io.h"
#include "tools/serve/request.h"

using namespace pluma;
using namespace pluma::serve;

namespace {

// A checkpoint of an untrained model (weights scaled up, so distributions are far from uniform) with a char
// tokenizer, written where model_set::load reads it.
std::string write_checkpoint(const std::string& name, nlohmann::json config) {
  const std::string corpus = "/tmp/pluma_test_serve_corpus.txt";
  std::ofstream(corpus) << "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,.:;!?'\n";
  tokenizer_train_config tc;
  tc.inputs = {corpus};
  std::unique_ptr<tokenizer> tok;
  REQUIRE(tokenizer_train(tc, tok).is_ok());
  config["vocab_size"] = tok->vocab_size();
  std::unique_ptr<lm_model> m;
  REQUIRE(model_create(config, m).is_ok());
  m->init_params(7);
  for (size_t i = 0; i < m->params().size(); i++) m->params().data()[i] *= 6.0f;
  checkpoint ck;
  checkpoint_add_model(ck, *m, *tok);
  const std::string path = "/tmp/pluma_test_serve_" + name + ".pluma";
  REQUIRE(checkpoint_write(path, ck).is_ok());
  return path;
}

model_set& fixture() {
  static model_set* models = [] {
    auto* m = new model_set;
    const std::string gpt = write_checkpoint("gpt", {{"kind", "gpt"}, {"context", 16}, {"layers", 2}, {"heads", 2},
                                                     {"embd", 16}, {"dropout", 0.0}, {"bias", true}});
    const std::string lstm = write_checkpoint("lstm", {{"kind", "lstm"}, {"embd", 16}, {"hidden", 16}, {"layers", 1},
                                                       {"dropout", 0.0}, {"tie_weights", false}, {"carry_state", false}});
    status st = m->load({gpt, lstm});
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    return m;
  }();
  return *models;
}

// The status and message of the api_error `fn` throws; {0, ""} when it throws none.
template <typename Fn>
std::pair<int, std::string> error_of(Fn fn) {
  try {
    fn();
  } catch (const api_error& e) {
    return {e.status, e.what()};
  }
  return {0, ""};
}

}  // namespace

TEST_CASE("models: names from the files, cards with kind, size and tokenizer") {
  nlohmann::json j = api_models(fixture());
  REQUIRE(j["models"].size() == 2);
  CHECK(j["models"][0]["name"] == "pluma_test_serve_gpt");
  CHECK(j["models"][0]["kind"] == "gpt");
  CHECK(j["models"][1]["kind"] == "lstm");
  CHECK(j["models"][0]["parameters"].get<size_t>() > 1000);
  CHECK(j["models"][0]["tokenizer"]["vocab_size"] == j["models"][0]["vocab_size"]);
  CHECK(j["models"][0]["file"] == "pluma_test_serve_gpt.pluma");  // a file name, never the path
}

TEST_CASE("probs: the CLI's document, for each model") {
  for (const char* name : {"pluma_test_serve_gpt", "pluma_test_serve_lstm"}) {
    served_model& m = *fixture().find(name);
    const std::vector<int> ids = m.tok->encode("the ");
    const nlohmann::json want = probs_json(*m.tok, "the ", next_token_tree(*m.owned, ids, 4, 2, 1.0f));
    const nlohmann::json got = api_probs(fixture(), std::string(R"({"model": ")") + name + R"(", "prompt": "the ", "top": 4, "depth": 2})");
    CHECK(got == want);
  }
  // the model defaults to the first; the prompt to <sos>
  served_model& first = *fixture().find("");
  const nlohmann::json got = api_probs(fixture(), "{}");
  CHECK(got == probs_json(*first.tok, "", next_token_tree(*first.owned, {sos_id}, 5, 1, 1.0f)));
}

TEST_CASE("score: the CLI's document") {
  served_model& m = *fixture().find("");
  const std::string text = "to be or not to be";
  score_result res;
  score_tokens(*m.owned, *m.tok, m.tok->encode(text), 3, res);
  CHECK(api_score(fixture(), R"({"text": "to be or not to be"})") == score_json(*m.tok, res));
}

TEST_CASE("sample: stepping reproduces generate, token by token") {
  served_model& m = *fixture().find("");
  generate_config cfg;
  cfg.max_new_tokens = 12;
  cfg.stop_at_eos = false;
  cfg.sampling.temperature = 0.9f;
  cfg.sampling.top_k = 20;
  cfg.sampling.seed = 4242;
  std::vector<int> want;
  std::string text;
  generate_tokens(*m.owned, *m.tok, m.tok->encode("an"), cfg, nullptr, want, text);
  std::vector<int> steps;
  for (size_t i = 0; i < want.size(); i++) {
    nlohmann::json req = {{"prompt", "an"}, {"tokens", steps}, {"temperature", 0.9}, {"top_k", 20}, {"seed", 4242}};
    nlohmann::json j = api_sample(fixture(), req.dump());
    CHECK(j["chosen"]["id"] == want[i]);
    REQUIRE(j["stages"].size() == 7);
    CHECK(j["stages"][3]["label"] == "top_k(20)");
    CHECK(j["stages"][3]["kept"] == 20);
    steps.push_back(want[i]);
  }
}

TEST_CASE("generate: the stream's text is generate_tokens' text; token texts add up to it") {
  served_model& m = *fixture().find("pluma_test_serve_lstm");
  generate_job job = generate_job_parse(fixture(), R"({"model": "pluma_test_serve_lstm", "prompt": "The", "max_new_tokens": 40,
                                                       "seed": 7, "top_p": 0.9, "ignore_eos": true})");
  std::string stream;
  generate_outcome out = generate_job_run(job, [&](const std::string& s) { stream += s; return true; });
  CHECK_FALSE(out.cancelled);
  CHECK(out.tokens == 40);
  generate_config cfg;
  cfg.max_new_tokens = 40;
  cfg.stop_at_eos = false;
  cfg.sampling.top_p = 0.9f;
  cfg.sampling.seed = 7;
  std::vector<int> ids;
  std::string want;
  generate_tokens(*m.owned, *m.tok, m.tok->encode("The"), cfg, nullptr, ids, want);
  std::string joined, done_text;
  size_t events = 0, at = 0;
  while ((at = stream.find("\n\n")) != std::string::npos) {
    const std::string block = stream.substr(0, at);
    stream.erase(0, at + 2);
    const size_t data = block.find("\ndata: ");
    REQUIRE(data != std::string::npos);
    nlohmann::json d = nlohmann::json::parse(block.substr(data + 7));
    if (block.rfind("event: token", 0) == 0) {
      events++;
      joined += d["text"].get<std::string>();
      CHECK(d["prob"].get<double>() > 0);
      CHECK(d["prob_sampled"].get<double>() >= d["prob"].get<double>() - 1e-6);  // top-p only removes mass
    } else {
      CHECK(block.rfind("event: done", 0) == 0);
      done_text = d["text"].get<std::string>();
      CHECK(d["stop_reason"] == "length");
    }
  }
  CHECK(events == 40);
  CHECK(done_text == want);
  CHECK(joined == want);
}

TEST_CASE("generate: a client that goes away stops the generation") {
  generate_job job = generate_job_parse(fixture(), R"({"max_new_tokens": 10000, "seed": 1, "ignore_eos": true})");
  int writes = 0;
  // the first write fails, as a write to a closed socket does; events go out in batches of ~20 ms
  generate_outcome out = generate_job_run(job, [&](const std::string&) { ++writes; return false; });
  CHECK(out.cancelled);
  CHECK(writes == 1);          // nothing more is written to a client that has gone
  CHECK(out.tokens < 10000);   // and generation stopped at the next token
  CHECK(out.tokens >= 1);
}

TEST_CASE("mistakes: 400 with the CLI's words; 413 for a tree too large") {
  model_set& ms = fixture();
  auto probs = [&](const std::string& b) { return error_of([&] { api_probs(ms, b); }); };
  auto sample = [&](const std::string& b) { return error_of([&] { api_sample(ms, b); }); };
  CHECK(probs("{not json").first == 400);
  CHECK(probs("{not json").second == "the request body is not valid JSON");
  CHECK(probs("[1, 2]").second == "the request body must be a JSON object");
  CHECK(probs(R"({"prompt": "a", "frobnicate": 1})").second.find("unknown field 'frobnicate'") == 0);
  CHECK(sample(R"({"top-k": 3})").second.find("did you mean 'top_k'") != std::string::npos);
  CHECK(probs(R"({"model": "../../etc/passwd"})").second == "unknown model '../../etc/passwd'; loaded: pluma_test_serve_gpt, pluma_test_serve_lstm");
  CHECK(probs(R"({"top": "five"})").second == "'top' must be an integer, got \"five\"");
  CHECK(probs(R"({"top": 0})").second == "top must be at least 1");
  CHECK(probs(R"({"depth": 7})").second == "depth must be between 1 and 6");
  CHECK(probs(R"({"temperature": -1})").second == "temperature must be >= 0");
  CHECK(probs(R"({"top": 1e300})").first == 400);
  CHECK(probs(R"({"tokens": [99999]})").first == 400);
  CHECK(probs(R"({"tokens": [-1]})").first == 400);
  auto big = probs(R"({"top": 50, "depth": 3})");
  CHECK(big.first == 413);
  CHECK(probs(R"({"top": 10, "depth": 4})").first == 413);  // 11110 nodes
  CHECK(tree_nodes(10, 4, 1000) == 11110);
  CHECK(tree_nodes(10, 3, 1000) == 1110);
  CHECK(tree_nodes(1000000, 6, 1 << 30) > max_tree_nodes);
  // the sampler's ranges: sampler_config_validate's messages, as `pluma generate` prints them
  CHECK(sample(R"({"top_p": 1.5})").second == "top_p must be in (0, 1] (1 turns it off), got 1.5");
  CHECK(sample(R"({"temperature": -0.5})").second == "temperature must be >= 0 (0 means greedy), got -0.5");
  CHECK(sample(R"({"min_p": 1})").first == 400);
  CHECK(sample(R"({"repetition_penalty": 0})").first == 400);
  CHECK(sample(R"({"top_k": -2})").second == "top_k must be >= 0 (0 turns it off), got -2");
  CHECK(sample(R"({"seed": -3})").first == 400);
  CHECK(sample(R"({"temperature": 1e39})").first == 400);
  CHECK(error_of([&] { api_score(ms, R"({"text": "a"})"); }).second == "text has fewer than 2 tokens: nothing to score");
  CHECK(error_of([&] { api_score(ms, R"({})"); }).second == "'text' is required");
  CHECK(error_of([&] { generate_job_parse(ms, R"({"max_new_tokens": 0})"); }).second == "max_new_tokens must be at least 1");
  CHECK(error_of([&] { generate_job_parse(ms, R"({"stop": [""]})"); }).second == "stop must not be empty");
  CHECK(error_of([&] { generate_job_parse(ms, R"({"stop": [3]})"); }).first == 400);
  CHECK(error_of([&] { generate_job_parse(ms, R"({"max_new_tokens": 1000000})"); }).first == 400);
}
