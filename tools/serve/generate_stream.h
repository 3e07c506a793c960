// generate_stream: POST /api/generate as server-sent events. The request is checked whole before the stream
// starts (mistakes are a 400 like every endpoint's); the stream then carries
//   event: token  data: {"id", "token", "text", "prob", "prob_sampled"}   one per drawn token
//   event: done   data: {"prompt", "text", "stop_reason", "tokens", "seed", "seconds", "tokens_per_second"}
// "text" of the done event is what `pluma generate` prints after the prompt, byte for byte, for the same
// options and seed; the token events' texts concatenate to it.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "generate/decode_loop.h"
#include "tools/serve/model_set.h"

namespace pluma::serve {

struct generate_job {
  served_model* model = nullptr;
  std::string prompt;
  std::vector<int> prompt_ids;
  generate_config config;
};

// Parses {model, prompt, max_new_tokens, temperature, top_k, top_p, min_p, repetition_penalty, seed, stop,
// ignore_eos}; throws api_error.
generate_job generate_job_parse(model_set& models, const std::string& body);

// Runs the job, writing SSE bytes through `write`; when write returns false (the client has gone) generation
// stops at the next token. Returns the number of tokens drawn and whether it was cancelled.
struct generate_outcome {
  int tokens = 0;
  bool cancelled = false;
};
generate_outcome generate_job_run(generate_job& job, const std::function<bool(const std::string&)>& write);

}  // namespace pluma::serve
