// Commands run by an MPI launcher (one process per rank): rank 0 alone talks, and every rank ends alike.
#pragma once
#include <string>

#include "tools/command.h"
#include "train/distributed.h"

namespace pluma::cli {

// Ranks other than `rank` 0 write nothing to stdout; their stderr is silenced too until release_stderr()
// (while every rank parses the same command line, rank 0's message is enough). Reads the rank from the
// launcher's environment, so it works before MPI is initialized.
class rank_output {
 public:
  rank_output();
  void release_stderr();

 private:
  int saved_stderr_ = -1;
};

// Rank 0 of several: when the launcher ends this process because another rank failed (it sends SIGTERM),
// writes "pluma: <note>" to stderr first, e.g. where the last good checkpoint is. Call again to update the note.
void termination_note_set(const std::string& note);

// Collective ends: every rank calls them with the same (agreed) message; rank 0 prints it, every rank
// finalizes the communicator and exits (fail_all: 1, usage_error_all: 2 with the usage).
[[noreturn]] void fail_all(communicator& c, const std::string& message);
[[noreturn]] void usage_error_all(communicator& c, const cxxopts::Options& opts, const std::string& message);

}  // namespace pluma::cli
