// The seq2seq side of `pluma train`: `pluma train --model seq2seq ...` is handed to run_train_seq2seq,
// which has its own options (parallel data, tokenizers, model sizes, recipe presets).
#pragma once

namespace pluma::cli {

// True when argv selects the seq2seq model (--model seq2seq or --model=seq2seq).
bool train_args_want_seq2seq(int argc, char** argv);
// Parses the options, trains (train/seq2seq_trainer.h) and prints progress; returns the exit code.
int run_train_seq2seq(int argc, char** argv);

}  // namespace pluma::cli
