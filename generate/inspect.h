// inspect: look inside a model's next-token distribution. Shared by `pluma probs` and `pluma score`.
#pragma once
#include <string>
#include <vector>

#include "generate/candidates.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace pluma {

struct prob_node {
  int id = 0;
  float prob = 0;                    // conditional on the path from the root
  std::vector<prob_node> children;   // its own top continuations (depth - 1 more levels)
};

// The `top` most probable next tokens after `prompt` (non-empty), each followed by its own top
// continuations down to `depth` levels, at `temperature` (0: greedy one-hot). Descending by prob.
std::vector<prob_node> next_token_tree(lm_model& m, const std::vector<int>& prompt, int top, int depth,
                                       float temperature);

struct token_score {
  int id = 0;                        // the actual token
  float logprob = 0;                 // natural log-probability the model gave it
  int rank = 0;                      // 1 = it was the most probable token
  std::vector<token_prob> top;       // the model's top alternatives at this position
};

struct score_result {
  std::vector<token_score> tokens;   // one per scored token (every token after the first)
  double loss = 0;                   // mean negative log-probability (nats per token)
  double perplexity = 0;             // exp(loss)
  double bits_per_char = 0;          // total bits / Unicode characters of the scored text
  size_t chars = 0;
};

// Scores every token of `ids` after the first. A model with a context length Tc reads the text in
// non-overlapping windows of Tc+1 tokens (Tc predictions each, as evaluation does); a recurrent model
// reads it in one pass. ids must have at least 2 tokens.
void score_tokens(lm_model& m, const tokenizer& tok, const std::vector<int>& ids, int top, score_result& out);

// A piece shown readably: control characters escaped (\n, \t, \x01), a space as ␣, everything else as is (▁ kept).
std::string piece_display(const std::string& piece);

}  // namespace pluma
