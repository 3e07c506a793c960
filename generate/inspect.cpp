#include "generate/inspect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "generate/decode_loop.h"
#include "model/core/check.h"

namespace pluma {

namespace {

void expand(lm_model& m, std::vector<int>& path, const std::vector<float>& logits, int top, int depth,
            float temperature, std::vector<prob_node>& out) {
  std::vector<float> probs;
  const int V = m.vocab_size();
  softmax_probs(logits.data(), V, temperature, probs);
  for (const auto& tp : top_n(probs.data(), V, top)) {
    prob_node node;
    node.id = tp.id;
    node.prob = tp.prob;
    if (depth > 1) {
      path.push_back(tp.id);
      decoder dec(m);
      dec.feed(path);
      expand(m, path, dec.logits(), top, depth - 1, temperature, node.children);
      path.pop_back();
    }
    out.push_back(std::move(node));
  }
}

size_t count_code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void score_position(const float* logits, int V, int target, int top, score_result& out) {
  std::vector<float> probs;
  softmax_probs(logits, V, 1.0f, probs);
  token_score ts;
  ts.id = target;
  // log-softmax directly from the logits, in double, for precision on tiny probabilities
  double mx = *std::max_element(logits, logits + V), sum = 0;
  for (int v = 0; v < V; v++) sum += std::exp(static_cast<double>(logits[v]) - mx);
  ts.logprob = static_cast<float>(logits[target] - mx - std::log(sum));
  int rank = 1;
  for (int v = 0; v < V; v++)
    if (logits[v] > logits[target] || (logits[v] == logits[target] && v < target)) rank++;
  ts.rank = rank;
  ts.top = top_n(probs.data(), V, top);
  out.tokens.push_back(std::move(ts));
}

}  // namespace

std::vector<prob_node> next_token_tree(lm_model& m, const std::vector<int>& prompt, int top, int depth,
                                       float temperature) {
  PLUMA_CHECK(!prompt.empty(), "next_token_tree needs a prompt");
  decoder dec(m);
  dec.feed(prompt);
  std::vector<int> path = prompt;
  std::vector<prob_node> out;
  expand(m, path, dec.logits(), top, std::max(1, depth), temperature, out);
  return out;
}

void score_tokens(lm_model& m, const tokenizer& tok, const std::vector<int>& ids, int top, score_result& out) {
  PLUMA_CHECK(ids.size() >= 2, "score_tokens needs at least two tokens");
  out = score_result{};
  const int V = m.vocab_size();
  const int Tc = m.context_length();
  if (Tc > 0) {
    std::vector<float> logits;
    for (size_t start = 0; start + 1 < ids.size(); start += static_cast<size_t>(Tc)) {
      int T = static_cast<int>(std::min<size_t>(Tc, ids.size() - 1 - start));
      logits.resize(static_cast<size_t>(T) * V);
      m.forward_logits(ids.data() + start, 1, T, logits.data());
      for (int t = 0; t < T; t++) score_position(logits.data() + static_cast<size_t>(t) * V, V,
                                                 ids[start + t + 1], top, out);
    }
  } else {
    decoder dec(m);
    for (size_t i = 0; i + 1 < ids.size(); i++) {
      dec.feed(ids[i]);
      score_position(dec.logits().data(), V, ids[i + 1], top, out);
    }
  }
  double nats = 0;
  for (const auto& t : out.tokens) nats -= t.logprob;
  out.loss = nats / static_cast<double>(out.tokens.size());
  out.perplexity = std::exp(out.loss);
  out.chars = count_code_points(tok.decode(std::vector<int>(ids.begin() + 1, ids.end())));
  out.bits_per_char = out.chars ? nats / std::log(2.0) / static_cast<double>(out.chars) : 0.0;
}

std::string piece_display(const std::string& piece) {
  std::string s;
  for (unsigned char c : piece) {
    switch (c) {
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\r': s += "\\r"; break;
      case '\\': s += "\\\\"; break;
      case ' ': s += "\u2423"; break;   // ␣, so that a space is visible in a table
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          s += buf;
        } else {
          s += static_cast<char>(c);
        }
    }
  }
  return s;
}

}  // namespace pluma
