// The decoding loop, sampling determinism, and the inspection helpers on a small random GPT.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "generate/decode_loop.h"
#include "generate/inspect.h"
#include "model/gpt/gpt.h"

using namespace pluma;

namespace {

std::unique_ptr<tokenizer> small_char_tokenizer() {
  std::string path = "/tmp/pluma_test_generate_corpus.txt";
  std::ofstream(path) << "abcdefghij klmnop\nqrstuvwxyz, ABC.\n";
  tokenizer_train_config cfg;
  cfg.kind = tokenizer_kind::chars;
  cfg.inputs = {path};
  std::unique_ptr<tokenizer> tok;
  REQUIRE(tokenizer_train(cfg, tok).is_ok());
  return tok;
}

gpt_model small_gpt(int vocab, int context) {
  gpt_config c;
  c.vocab_size = vocab;
  c.context = context;
  c.layers = 2;
  c.heads = 2;
  c.embd = 16;
  gpt_model m(c);
  m.init_params(11);
  // larger weights than the init so that distributions are far from uniform
  for (size_t i = 0; i < m.params().size(); i++) m.params().data()[i] *= 8.0f;
  return m;
}

std::vector<int> some_ids(int n, int V, uint64_t seed) {
  rng g(seed);
  std::vector<int> ids(n);
  for (auto& x : ids) x = num_special_ids + static_cast<int>(g.below(V - num_special_ids));
  return ids;
}

float max_abs_diff(const float* a, const float* b, int n) {
  float d = 0;
  for (int i = 0; i < n; i++) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

}  // namespace

TEST_CASE("decoder logits equal a full forward at every position, also past the context") {
  auto tok = small_char_tokenizer();
  const int V = tok->vocab_size(), Tc = 8;
  gpt_model m = small_gpt(V, Tc);
  std::vector<int> ids = some_ids(29, V, 3);
  decoder dec(m);
  std::vector<float> full;
  // Expected window after feeding k tokens: the decoder keeps the last positions since its last rebuild.
  int window_start = 0;
  for (int k = 1; k <= static_cast<int>(ids.size()); k++) {
    dec.feed(ids[k - 1]);
    if (k - window_start > Tc) window_start = k - 1 - Tc / 2;
    int T = k - window_start;
    full.resize(static_cast<size_t>(T) * V);
    m.forward_logits(ids.data() + window_start, 1, T, full.data());
    CAPTURE(k);
    CHECK(max_abs_diff(dec.logits().data(), full.data() + static_cast<size_t>(T - 1) * V, V) < 1e-4f);
  }
  CHECK(dec.rebuilds() == 6);  // the window slides at tokens 9, 13, 17, 21, 25 and 29
}

TEST_CASE("same seed gives the same text; another seed another; top-k 1 equals greedy") {
  auto tok = small_char_tokenizer();
  gpt_model m = small_gpt(tok->vocab_size(), 16);
  generate_config cfg;
  cfg.max_new_tokens = 60;
  cfg.stop_at_eos = false;
  auto run = [&](const generate_config& c) {
    std::vector<int> ids;
    std::string text, streamed;
    generate_tokens(m, *tok, {sos_id}, c, [&](const std::string& s) { streamed += s; }, ids, text);
    CHECK(streamed == text);  // streaming delivers exactly the text, in order
    return ids;
  };
  cfg.sampling.seed = 1;
  auto a = run(cfg), b = run(cfg);
  cfg.sampling.seed = 2;
  auto c = run(cfg);
  CHECK(a.size() == 60);
  CHECK(a == b);
  CHECK(a != c);
  cfg.sampling.temperature = 0;
  auto greedy = run(cfg);
  cfg.sampling.temperature = 1;
  cfg.sampling.top_k = 1;
  cfg.sampling.seed = 99;
  CHECK(run(cfg) == greedy);
}

TEST_CASE("a stop string ends generation and is not emitted") {
  auto tok = small_char_tokenizer();
  gpt_model m = small_gpt(tok->vocab_size(), 16);
  generate_config cfg;
  cfg.max_new_tokens = 200;
  cfg.stop_at_eos = false;
  cfg.sampling.seed = 5;
  std::vector<int> ids;
  std::string full, text, streamed;
  generate_tokens(m, *tok, {sos_id}, cfg, nullptr, ids, full);
  REQUIRE(full.size() > 20);
  std::string stop = full.substr(10, 2);  // a string that certainly occurs
  size_t first = full.find(stop);
  cfg.stop = {stop};
  auto why = generate_tokens(m, *tok, {sos_id}, cfg, [&](const std::string& s) { streamed += s; }, ids, text);
  CHECK(why == stop_reason::stop_string);
  CHECK(text == full.substr(0, first));
  CHECK(streamed == text);
}

TEST_CASE("probs: the distribution sums to 1, the table is sorted and the tree conditions on its path") {
  auto tok = small_char_tokenizer();
  gpt_model m = small_gpt(tok->vocab_size(), 16);
  std::vector<int> prompt = tok->encode("abc");
  auto tree = next_token_tree(m, prompt, tok->vocab_size(), 1, 1.0f);
  double sum = 0;
  for (size_t i = 0; i < tree.size(); i++) {
    sum += tree[i].prob;
    if (i) CHECK(tree[i - 1].prob >= tree[i].prob);
  }
  CHECK(tree.size() == static_cast<size_t>(tok->vocab_size()));
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
  auto deep = next_token_tree(m, prompt, 3, 2, 1.0f);
  REQUIRE(deep.size() == 3);
  std::vector<int> path = prompt;
  path.push_back(deep[1].id);
  auto child = next_token_tree(m, path, 3, 1, 1.0f);
  REQUIRE(deep[1].children.size() == 3);
  for (int i = 0; i < 3; i++) {
    CHECK(deep[1].children[i].id == child[i].id);
    CHECK(deep[1].children[i].prob == doctest::Approx(child[i].prob).epsilon(1e-5));
  }
}

TEST_CASE("score: mean loss equals the model's evaluation loss on the same windows") {
  auto tok = small_char_tokenizer();
  const int Tc = 8;
  gpt_model m = small_gpt(tok->vocab_size(), Tc);
  std::vector<int> ids = some_ids(3 * Tc + 1, tok->vocab_size(), 9);   // exactly 3 windows
  score_result res;
  score_tokens(m, *tok, ids, 3, res);
  REQUIRE(res.tokens.size() == ids.size() - 1);
  std::vector<int> inputs, targets;
  for (int w = 0; w < 3; w++)
    for (int t = 0; t < Tc; t++) {
      inputs.push_back(ids[w * Tc + t]);
      targets.push_back(ids[w * Tc + t + 1]);
    }
  float eval = m.forward_loss(inputs.data(), targets.data(), 3, Tc);
  CHECK(res.loss == doctest::Approx(eval).epsilon(1e-5));
  CHECK(res.perplexity == doctest::Approx(std::exp(res.loss)));
  // bits per char: one char per token for a char tokenizer
  CHECK(res.chars == ids.size() - 1);
  CHECK(res.bits_per_char == doctest::Approx(res.loss / std::log(2.0)));
  for (const auto& t : res.tokens) {
    CHECK(t.rank >= 1);
    CHECK(t.logprob <= 0);
    if (t.rank == 1) CHECK(t.top[0].id == t.id);
  }
}

TEST_CASE("piece_display escapes control characters and keeps the rest") {
  CHECK(piece_display("a\nb\t\\") == "a\\nb\\t\\\\");
  CHECK(piece_display(std::string("\x01", 1)) == "\\x01");
  CHECK(piece_display("\xE2\x96\x81un") == "\xE2\x96\x81un");
}

TEST_CASE("piece_display makes a space visible") {
  CHECK(piece_display("a b") == "a\xE2\x90\xA3" "b");
}
