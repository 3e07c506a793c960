#include "tools/cli_ranks.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pluma::cli {

rank_output::rank_output() {
  if (launch_info_from_env().rank == 0) return;
  std::fflush(stdout);
  std::fflush(stderr);
  int null_fd = open("/dev/null", O_WRONLY);
  if (null_fd < 0) return;
  saved_stderr_ = dup(STDERR_FILENO);
  dup2(null_fd, STDOUT_FILENO);
  dup2(null_fd, STDERR_FILENO);
  close(null_fd);
}

void rank_output::release_stderr() {
  if (saved_stderr_ < 0) return;
  std::fflush(stderr);
  dup2(saved_stderr_, STDERR_FILENO);
  close(saved_stderr_);
  saved_stderr_ = -1;
}

namespace {

// The note, double-buffered so that the handler always reads a complete one.
char notes[2][1024];
size_t note_len[2];
std::atomic<int> note_current{-1};

extern "C" void on_terminate(int sig) {
  int i = note_current.load();
  if (i >= 0) {
    ssize_t w = write(STDERR_FILENO, notes[i], note_len[i]);
    (void)w;
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

void termination_note_set(const std::string& note) {
  int next = note_current.load() == 0 ? 1 : 0;
  std::string line = "pluma: " + note + "\n";
  note_len[next] = std::min(line.size(), sizeof notes[next]);
  std::memcpy(notes[next], line.data(), note_len[next]);
  bool first = note_current.exchange(next) < 0;
  if (first) std::signal(SIGTERM, on_terminate);
}

// Rank 0 says the message before any rank leaves the barrier: a rank that exited first (non-zero) could have the
// launcher end the job while rank 0 was still about to write it, and the user would see nothing.
void fail_all(communicator& c, const std::string& message) {
  if (c.rank() == 0) say_failure(message);
  c.barrier();
  c.finalize();
  std::exit(1);
}

void usage_error_all(communicator& c, const cxxopts::Options& opts, const std::string& message) {
  if (c.rank() == 0) say_usage_error(opts.program(), message);
  c.barrier();
  c.finalize();
  std::exit(2);
}

}  // namespace pluma::cli
