#include "data/sampler.h"

#include <string>

namespace pluma {

namespace {

status check_dims(int B, int T) {
  if (B <= 0) return status::error("batch size " + std::to_string(B) + " must be positive");
  if (T <= 0) return status::error("context length " + std::to_string(T) + " must be positive");
  return status::ok();
}

status check_length(size_t n_tokens, int T) {
  if (n_tokens < static_cast<size_t>(T) + 1)
    return status::error("corpus of " + std::to_string(n_tokens) + " tokens is shorter than the context T+1 = " +
                         std::to_string(T + 1) + "; use a smaller --context or more text");
  return status::ok();
}

// inputs, targets: (T) <- tokens [start, start+T), [start+1, start+T+1)
void fill_window(const token_view& tokens, int T, size_t start, int32_t* inputs, int32_t* targets) {
  tokens.copy(start, static_cast<size_t>(T), inputs);
  tokens.copy(start + 1, static_cast<size_t>(T), targets);
}

}  // namespace

// ---- random windows ----

status window_sampler::create(token_view tokens, int B, int T, uint64_t seed, window_sampler& out) {
  PLUMA_TRY(check_dims(B, T));
  PLUMA_TRY(check_length(tokens.size(), T));
  out.tokens_ = tokens;
  out.B_ = B;
  out.T_ = T;
  out.gen_ = rng(seed);
  return status::ok();
}

void window_sampler::next(int32_t* inputs, int32_t* targets) {
  const size_t n_starts = tokens_.size() - static_cast<size_t>(T_);   // starts 0 .. N-T-1
  for (int b = 0; b < B_; b++) {
    size_t start = static_cast<size_t>(gen_.below(n_starts));
    fill_window(tokens_, T_, start, inputs + static_cast<size_t>(b) * T_, targets + static_cast<size_t>(b) * T_);
  }
}

// ---- contiguous streams ----

status stream_sampler::create(token_view tokens, int B, int T, stream_sampler& out) {
  PLUMA_TRY(check_dims(B, T));
  const size_t L = tokens.size() / static_cast<size_t>(B);
  if (L < static_cast<size_t>(T) + 1)
    return status::error("corpus of " + std::to_string(tokens.size()) + " tokens cut into " + std::to_string(B) +
                         " streams gives " + std::to_string(L) + " tokens per stream, shorter than the context T+1 = " +
                         std::to_string(T + 1) + "; use a smaller --batch or --context, or more text");
  out.tokens_ = tokens;
  out.B_ = B;
  out.T_ = T;
  out.L_ = L;
  out.pos_ = 0;
  return status::ok();
}

bool stream_sampler::next(int32_t* inputs, int32_t* targets) {
  const size_t T = static_cast<size_t>(T_);
  if (pos_ + T + 1 > L_) pos_ = 0;    // the streams are exhausted: wrap
  const bool new_pass = pos_ == 0;
  for (int b = 0; b < B_; b++)
    fill_window(tokens_, T_, static_cast<size_t>(b) * L_ + pos_, inputs + b * T, targets + b * T);
  pos_ += T;
  return new_pass;
}

status stream_sampler::set_position(size_t pos) {
  if (pos % static_cast<size_t>(T_) != 0 || pos >= L_)
    return status::error("stream position " + std::to_string(pos) + " is not a multiple of the context " +
                         std::to_string(T_) + " below the stream length " + std::to_string(L_) +
                         " (the saved state does not match this corpus, --batch or --context)");
  pos_ = pos;
  return status::ok();
}

// ---- evaluation windows ----

status eval_window_starts(size_t n_tokens, int T, int count, std::vector<size_t>& starts) {
  starts.clear();
  PLUMA_TRY(check_dims(1, T));
  if (count <= 0) return status::error("evaluation window count " + std::to_string(count) + " must be positive");
  PLUMA_TRY(check_length(n_tokens, T));
  const size_t last = n_tokens - static_cast<size_t>(T) - 1;   // the largest valid start
  starts.resize(static_cast<size_t>(count));
  for (int i = 0; i < count; i++)
    starts[static_cast<size_t>(i)] =
        count == 1 ? 0 : static_cast<size_t>((static_cast<unsigned __int128>(last) * i) / (count - 1));
  return status::ok();
}

void fill_windows(token_view tokens, int T, const size_t* starts, int n, int32_t* inputs, int32_t* targets) {
  for (int i = 0; i < n; i++)
    fill_window(tokens, T, starts[i], inputs + static_cast<size_t>(i) * T, targets + static_cast<size_t>(i) * T);
}

status window_iterator::create(token_view tokens, int B, int T, window_iterator& out) {
  PLUMA_TRY(check_dims(B, T));
  PLUMA_TRY(check_length(tokens.size(), T));
  out.tokens_ = tokens;
  out.B_ = B;
  out.T_ = T;
  out.num_windows_ = (tokens.size() - 1) / static_cast<size_t>(T);
  out.next_window_ = 0;
  return status::ok();
}

int window_iterator::next(int32_t* inputs, int32_t* targets) {
  int rows = 0;
  const size_t T = static_cast<size_t>(T_);
  while (rows < B_ && next_window_ < num_windows_) {
    fill_window(tokens_, T_, next_window_ * T, inputs + rows * T, targets + rows * T);
    next_window_++;
    rows++;
  }
  return rows;
}

}  // namespace pluma
