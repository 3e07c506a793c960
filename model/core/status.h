// status: errors as values at the library boundary (files, checkpoints, user options, tokenizers).
// A library function that can fail on bad input returns a status; it never prints or exits.
#pragma once
#include <string>
#include <utility>

namespace pluma {

class status {
 public:
  status() = default;                                   // ok
  static status ok() { return status(); }
  static status error(std::string message) { return status(std::move(message), true); }
  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }
  // Prefix context to an error: st.with_context("reading shard x.bin") -> "reading shard x.bin: <msg>"
  status with_context(const std::string& context) const {
    return failed_ ? status(context + ": " + message_, true) : *this;
  }

 private:
  status(std::string m, bool failed) : message_(std::move(m)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

}  // namespace pluma

// Return early with the status of `expr` if it failed.
#define PLUMA_TRY(expr)                         \
  do {                                          \
    ::pluma::status pluma_try_st_ = (expr);     \
    if (!pluma_try_st_.is_ok()) return pluma_try_st_; \
  } while (0)
