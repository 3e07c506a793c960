// trainer: run(), the loop of every model kind (see trainer.h), with its timing, metrics log and reports.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "train/text_format.h"
#include "train/trainer.h"

namespace pluma {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

// One run(): timing, the metrics log, the callback, and where the last good checkpoint is.
struct trainer::loop {
  trainer& t;
  const train_callback& callback;
  train_result& result;
  const clock_type::time_point t0 = clock_type::now();
  const int start;
  const double start_epochs;
  metrics_writer metrics;
  int last_saved = -1;
  bool stop = false;
  bool natural_end = false;   // iters or max_epochs reached (not the clock, not a request)
  double train_time = 0, eval_time = 0, window_time = 0, tokens_per_s = 0, window_tokens = 0;
  int steps_run = 0, evals_run = 0, window_steps = 0;

  loop(trainer& tr, const train_callback& cb, train_result& res)
      : t(tr), callback(cb), result(res), start(tr.step_), start_epochs(tr.source_.epochs()) {}

  bool report(train_progress p) {
    p.iters = t.cfg_.iters;
    p.elapsed_s = seconds_since(t0);
    p.epoch = t.source_.epochs();
    if (callback && !callback(p) && !stop) {
      stop = true;
      result.stop_reason = "stopped on request";
    }
    return !stop;
  }
  // Seconds left: by --iters (with its evaluations), by --max-epochs at the recent epochs per step, within
  // the time budget; 0 when unknown.
  double eta(int it) const {
    if (steps_run == 0) return 0.0;
    const double per_step = train_time / steps_run, per_eval = evals_run ? eval_time / evals_run : 0.0;
    double left = INFINITY;
    if (t.cfg_.iters > 0) {
      const int steps = t.cfg_.iters - it;
      left = steps * per_step + (t.cfg_.eval_interval > 0 ? steps / t.cfg_.eval_interval + 1 : 1) * per_eval;
    }
    const double epochs_run = t.source_.epochs() - start_epochs;
    if (t.cfg_.max_epochs > 0 && epochs_run > 0) {
      const double epochs_left = t.cfg_.max_epochs - t.source_.epochs();
      left = std::min(left, epochs_left * steps_run / epochs_run * per_step + std::ceil(epochs_left) * per_eval);
    }
    if (t.cfg_.max_time_s > 0) left = std::min(left, std::max(0.0, t.cfg_.max_time_s - seconds_since(t0)));
    return std::isfinite(left) ? left : 0.0;
  }
  status failure(const std::string& what) const {
    std::string kept = last_saved >= 0 ? "the last good checkpoint '" + t.cfg_.out + "' (iteration " +
                                             std::to_string(last_saved) + ") is kept"
                       : !t.cfg_.resume.empty() ? "the checkpoint resumed from, '" + t.cfg_.resume + "', is unchanged"
                                                : "no checkpoint was written";
    return status::error(what + "; " + kept + "; try a lower --lr or a tighter --grad-clip");
  }
  // Rank 0 alone writes the log (the others never open it); every rank learns whether it failed.
  status log(const metrics_record& r) {
    return distributed_agree(*t.comm_, metrics.is_open() ? metrics.write(r) : status::ok());
  }
  // Rank 0's clock and callback decide when every rank stops.
  void agree_stop() {
    if (t.comm_->size() == 1) return;
    int s = stop;
    t.comm_->broadcast(&s, sizeof s, 0);
    if (s && result.stop_reason.empty()) result.stop_reason = "stopped by rank 0";
    if (!s) result.stop_reason.clear();   // this rank's own reason, overruled
    stop = s;
  }

  // scheduled: an evaluation of the schedule (not one of a stop in between), whose effects the state takes.
  status evaluate(int it, bool scheduled) {
    auto te = clock_type::now();
    train_progress p;
    p.event = train_progress::kind::eval;
    p.iter = it;
    p.eval = t.eval_.evaluate(*t.comm_);
    t.last_train_loss_ = p.eval.train_loss.value_or(0.0f);
    t.last_val_loss_ = p.eval.val_loss;
    result.val_bleu = p.eval.val_bleu;
    eval_time += seconds_since(te);
    evals_run++;
    std::vector<std::pair<const char*, float>> losses = {{"validation", p.eval.val_loss}};
    if (p.eval.train_loss) losses.insert(losses.begin(), {"training", *p.eval.train_loss});
    for (auto [name, v] : losses)
      if (!std::isfinite(v))
        return failure(std::string("the ") + name + " loss became " + (std::isnan(v) ? "NaN" : "infinite") +
                       " at iteration " + std::to_string(it));
    // Only the schedule's evaluations move the plateau rule, and only they and the one at the natural end are
    // candidates for keep-best, so that a run stopped in between and resumed goes on as if it had not stopped;
    // a resumed run repeats the evaluation it stopped at for its report, its effects being in the state
    // already. (The natural end must count: with an evaluation interval longer than the run, the only other
    // candidate would be iteration 0, and the checkpoint would hold the untrained model.)
    if ((scheduled || natural_end) && t.evaluated_at_ != it) p.best = t.note_evaluation(it, p.eval, scheduled);
    p.lr = t.lr_of(it);
    p.tokens_per_s = tokens_per_s;
    p.eta_s = eta(it);
    metrics_record r;
    r.iter = it;
    r.train_loss = p.eval.train_loss;
    r.val_loss = p.eval.val_loss;
    r.val_bleu = p.eval.val_bleu;
    r.lr = p.lr;
    r.tokens_per_s = tokens_per_s;
    PLUMA_TRY(log(r));
    report(p);
    return status::ok();
  }

  status save(int it, const position& pos) {
    t.to_host();   // what the check hashes and the checkpoint holds
    PLUMA_TRY(t.check_ranks_in_step(it));
    const bool writer = t.comm_->rank() == 0;   // rank 0 alone writes the checkpoint
    PLUMA_TRY(distributed_agree(*t.comm_, writer ? t.save_at(t.cfg_.out, pos) : status::ok())
                  .with_context("saving the checkpoint at iteration " + std::to_string(it)));
    last_saved = it;
    train_progress p;
    p.event = train_progress::kind::checkpoint;
    p.iter = it;
    p.path = t.cfg_.out;
    report(p);
    return status::ok();
  }

  status step(int it, bool save_first) {
    auto ts = clock_type::now();
    train_progress p;
    p.event = train_progress::kind::step;
    p.iter = it;
    p.lr = t.lr_of(it);
    position before = t.here();
    double norm = 0;
    long tokens = 0;
    t.compute_gradients(p.loss, norm, tokens);
    p.grad_norm = static_cast<float>(norm);
    if (!std::isfinite(p.loss) || !std::isfinite(norm)) {
      float bad = std::isfinite(p.loss) ? static_cast<float>(norm) : p.loss;
      return failure(std::string(std::isfinite(p.loss) ? "the gradient norm" : "the loss") + " became " +
                     (std::isnan(bad) ? "NaN" : "infinite") + " at iteration " + std::to_string(it) + " (lr " + format_g(p.lr) +
                     "); training stopped before the update");
    }
    if (save_first) {   // the parameters and moments are still those of iteration it, their loss finite
      train_time += seconds_since(ts);
      PLUMA_TRY(save(it, before));
      ts = clock_type::now();
    }
    t.apply_update(it, norm);
    double dt = seconds_since(ts);
    train_time += dt;
    window_time += dt;
    window_tokens += static_cast<double>(tokens);
    steps_run++;
    window_steps++;
    if (tokens_per_s == 0 || window_steps >= t.cfg_.log_interval) tokens_per_s = window_tokens / window_time;
    p.tokens_per_s = tokens_per_s;
    p.eta_s = eta(it + 1);
    if (it % t.cfg_.log_interval == 0) {
      metrics_record r;
      r.iter = it;
      r.loss = p.loss;
      r.lr = p.lr;
      r.tokens_per_s = tokens_per_s;
      PLUMA_TRY(log(r));
    }
    if (window_steps >= t.cfg_.log_interval) window_time = 0, window_steps = 0, window_tokens = 0;
    report(p);
    return status::ok();
  }

  // Whether iteration it ends the run by its own limits (not the clock).
  bool at_limit(int it) {
    if (t.cfg_.iters > 0 && it >= t.cfg_.iters) return true;
    if (t.cfg_.max_epochs > 0 && t.source_.epochs() >= t.cfg_.max_epochs) {
      if (result.stop_reason.empty()) result.stop_reason = std::to_string(t.cfg_.max_epochs) + " epochs done";
      return true;
    }
    return false;
  }
};

status trainer::run(const train_callback& callback, train_result& result) {
  result = train_result{};
  loop lp(*this, callback, result);
  PLUMA_TRY(distributed_agree(*comm_, to_device()));   // one GPU short of memory ends every rank, said once
  const bool log_here = !cfg_.metrics.empty() && comm_->rank() == 0;
  PLUMA_TRY(distributed_agree(*comm_, log_here ? lp.metrics.open(cfg_.metrics, step_ > 0 ? step_ : -1) : status::ok()));
  for (int it = step_;; it++) {
    if (!lp.stop && cfg_.max_time_s > 0 && seconds_since(lp.t0) >= cfg_.max_time_s) {
      lp.stop = true;
      result.stop_reason = "time budget of " + format_g(cfg_.max_time_s) + " s reached";
    }
    lp.agree_stop();
    lp.natural_end = lp.at_limit(it);
    const bool end = lp.stop || lp.natural_end;
    const bool due = cfg_.eval_interval > 0 ? it % cfg_.eval_interval == 0 : epoch_done_;
    if (due || end) PLUMA_TRY(lp.evaluate(it, due));
    if (end || lp.stop) {
      PLUMA_TRY(lp.save(it, here()));
      break;
    }
    const bool save_due = cfg_.checkpoint_interval > 0 ? it % cfg_.checkpoint_interval == 0 : due;
    PLUMA_TRY(lp.step(it, it > lp.start && save_due));
  }
  to_host();
  result.steps = step_;
  result.train_loss = last_train_loss_;
  result.val_loss = last_val_loss_;
  result.best = best_;
  result.best_step = best_step_;
  result.stopped_early = !lp.natural_end;
  return status::ok();
}

}  // namespace pluma
