#include "train/batches.h"

#include "train/text_format.h"

namespace pluma {

status window_batches::create(token_view tokens, int B, int T, uint64_t seed, const std::string& what,
                              std::unique_ptr<window_batches>& out) {
  auto b = std::make_unique<window_batches>();
  PLUMA_TRY(window_sampler::create(tokens, B, T, seed, b->s_).with_context(what));
  out = std::move(b);
  return status::ok();
}

bool window_batches::next(int* inputs, int* targets) {
  s_.next(inputs, targets);
  return true;
}

nlohmann::json window_batches::state() const {
  return {{"kind", "window"}, {"rng", format_hex64(s_.generator().state)}};
}

status window_batches::restore(const nlohmann::json& st) {
  if (!st.is_object() || st.value("kind", "") != "window" || !st.contains("rng") || !st["rng"].is_string())
    return status::error("the saved sampler state is not a random-window state");
  rng g;
  if (!parse_hex64(st["rng"].get<std::string>(), g.state))
    return status::error("the saved sampler rng state is malformed");
  s_.set_generator(g);
  return status::ok();
}

status stream_batches::create(token_view tokens, int B, int T, const std::string& what,
                              std::unique_ptr<stream_batches>& out) {
  auto b = std::make_unique<stream_batches>();
  PLUMA_TRY(stream_sampler::create(tokens, B, T, b->s_).with_context(what));
  out = std::move(b);
  return status::ok();
}

bool stream_batches::next(int* inputs, int* targets) { return s_.next(inputs, targets); }

nlohmann::json stream_batches::state() const { return {{"kind", "stream"}, {"position", s_.position()}}; }

status stream_batches::restore(const nlohmann::json& st) {
  if (!st.is_object() || st.value("kind", "") != "stream" || !st.contains("position") ||
      !st["position"].is_number_unsigned())
    return status::error("the saved sampler state is not a contiguous-stream state");
  return s_.set_position(st["position"].get<size_t>());
}

fixed_batches fixed_batches_draw(batch_sampler& sampler, int count) {
  fixed_batches fb;
  fb.count = count;
  fb.B = sampler.batch();
  fb.T = sampler.context();
  size_t n = static_cast<size_t>(fb.B) * fb.T;
  fb.inputs.resize(n * count);
  fb.targets.resize(n * count);
  for (int i = 0; i < count; i++) sampler.next(fb.inputs.data() + i * n, fb.targets.data() + i * n);
  return fb;
}

}  // namespace pluma
