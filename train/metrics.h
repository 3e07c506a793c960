// metrics: the training log as JSON lines, one object per line:
//   {"iter": 250, "loss": 2.41, "lr": 0.00098, "tokens_per_s": 31000}                 a training step
//   {"iter": 250, "train_loss": 2.44, "val_loss": 2.45, "lr": 0.00098, "tokens_per_s": 31000}   an evaluation
//   {"iter": 454, "val_loss": 3.1, "val_bleu": 21.4, "lr": 0.001, "tokens_per_s": 9000}       a translator's
// "loss" is the mean loss of the step's batch; train_loss and val_loss, the means over the fixed evaluation
// batches. Each line is flushed as it is written, so a crash keeps what was logged.
#pragma once
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "model/core/status.h"

namespace pluma {

struct metrics_record {
  int iter = 0;
  std::optional<double> loss;         // training step lines
  std::optional<double> train_loss;   // evaluation lines
  std::optional<double> val_loss;     // evaluation lines
  std::optional<double> val_bleu;     // a translator's evaluation lines
  double lr = 0;
  double tokens_per_s = 0;
  bool is_eval() const { return train_loss.has_value() || val_loss.has_value() || val_bleu.has_value(); }
};

std::string metrics_to_json(const metrics_record& r);
status metrics_from_json(const std::string& line, metrics_record& out);

class metrics_writer {
 public:
  metrics_writer() = default;
  ~metrics_writer();
  metrics_writer(const metrics_writer&) = delete;
  metrics_writer& operator=(const metrics_writer&) = delete;

  // Starts the file at `path`. keep_before_iter < 0: a fresh log (truncated). Otherwise (a resumed run) the
  // lines of an existing log with iter < keep_before_iter are kept and later ones dropped, so the log reads as
  // one run.
  status open(const std::string& path, int keep_before_iter = -1);
  status write(const metrics_record& r);
  bool is_open() const { return f_ != nullptr; }
  void close();

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
};

// Reads a whole log; blank lines are skipped, a malformed line is an error naming its line number.
status metrics_read(const std::string& path, std::vector<metrics_record>& out);

}  // namespace pluma
