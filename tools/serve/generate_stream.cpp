#include "tools/serve/generate_stream.h"

#include <chrono>
#include <cmath>

#include "tools/serve/api.h"
#include "tools/serve/request.h"

namespace pluma::serve {

namespace {

constexpr int64_t max_new_tokens_limit = 10000;

std::string sse(const char* event, const nlohmann::json& data) {
  // dump() escapes control characters, so the data is one line whatever the text holds; invalid UTF-8
  // (a piece that is half a character) is replaced rather than thrown on.
  return std::string("event: ") + event + "\ndata: " +
         data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

const char* reason_name(stop_reason r) {
  switch (r) {
    case stop_reason::length: return "length";
    case stop_reason::eos: return "eos";
    case stop_reason::stop_string: return "stop";
    case stop_reason::cancelled: return "cancelled";
  }
  return "?";
}

}  // namespace

generate_job generate_job_parse(model_set& models, const std::string& body) {
  request_fields r(body, with_sampler_fields({"model", "prompt", "max_new_tokens", "stop", "ignore_eos"}));
  generate_job job;
  job.model = &model_for(models, r.get_string("model", ""));
  job.prompt = r.get_string("prompt", "");
  job.config.sampling = sampler_config_from_request(r);
  const int64_t n = r.get_int("max_new_tokens", 500);
  if (n < 1) throw api_error(400, "max_new_tokens must be at least 1");
  if (n > max_new_tokens_limit)
    throw api_error(400, "max_new_tokens must be at most " + std::to_string(max_new_tokens_limit) + " on the server");
  job.config.max_new_tokens = static_cast<int>(n);
  job.config.stop_at_eos = !r.get_bool("ignore_eos", false);
  for (const auto& s : r.get_strings("stop")) {
    if (s.empty()) throw api_error(400, "stop must not be empty");
    job.config.stop.push_back(s);
  }
  job.prompt_ids = prompt_to_ids(*job.model->tok, job.prompt);
  return job;
}

generate_outcome generate_job_run(generate_job& job, const std::function<bool(const std::string&)>& write) {
  const tokenizer& tok = *job.model->tok;
  generate_outcome out;
  bool gone = false;
  bool have_pending = false;
  nlohmann::json pending;  // the last token's event, sent once its text is known (or the next token comes)
  // Events are written in batches, at most every few milliseconds: one write per token would cost more than
  // a small model's token. A client that has gone is noticed at the next batch.
  std::string batch;
  auto last_write = std::chrono::steady_clock::now();
  auto send = [&](bool now) {
    const auto t = std::chrono::steady_clock::now();
    if (gone || batch.empty() || (!now && t - last_write < std::chrono::milliseconds(20))) return;
    if (!write(batch)) gone = true;
    batch.clear();
    last_write = t;
  };
  auto flush = [&] {
    if (have_pending) batch += sse("token", pending);
    have_pending = false;
    send(false);
  };
  generate_config cfg = job.config;
  cfg.on_token = [&](const token_event& e) {
    flush();
    if (gone) return false;
    // prob before the sampler: the softmax of the raw logits
    double mx = e.logits[0], sum = 0;
    for (int v = 1; v < e.V; v++) mx = std::max(mx, static_cast<double>(e.logits[v]));
    for (int v = 0; v < e.V; v++) sum += std::exp(e.logits[v] - mx);
    float sampled = 0;
    for (const candidate& c : e.kept.items)
      if (c.id == e.id) sampled = c.prob;
    pending = {{"id", e.id}, {"token", tok.id_to_piece(e.id)}, {"text", ""},
               {"prob", std::exp(e.logits[e.id] - mx) / sum}, {"prob_sampled", sampled}};
    have_pending = true;
    out.tokens++;
    return true;
  };
  auto on_text = [&](const std::string& piece) {
    if (have_pending) pending["text"] = pending["text"].get<std::string>() + piece;
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> ids;
  std::string text;
  const stop_reason why = generate_tokens(*job.model->model, tok, job.prompt_ids, cfg, on_text, ids, text);
  flush();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  batch += sse("done", {{"prompt", job.prompt}, {"text", text}, {"stop_reason", reason_name(why)},
                        {"tokens", out.tokens}, {"seed", cfg.sampling.seed}, {"seconds", seconds},
                        {"tokens_per_second", seconds > 0 ? out.tokens / seconds : 0.0}});
  send(true);
  out.cancelled = gone || why == stop_reason::cancelled;
  return out;
}

}  // namespace pluma::serve
