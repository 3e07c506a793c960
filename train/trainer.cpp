#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "model/model_io.h"
#include "model/ops/tensor_util.h"
#include "train/text_format.h"

namespace pluma {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

void checkpoint_put_arena(checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                          const arena& a) {
  for (const auto& t : specs) ck.add_f32(prefix + t.name, t.shape, a.at(t));
}

status checkpoint_get_arena(const checkpoint& ck, const std::string& prefix, const std::vector<tensor_spec>& specs,
                            arena& a) {
  for (const auto& t : specs) {
    const checkpoint_tensor* ct = ck.find(prefix + t.name);
    if (!ct) return status::error("the checkpoint has no tensor '" + prefix + t.name + "'");
    if (ct->dtype != tensor_dtype::f32 || ct->shape != t.shape || ct->bytes.size() != t.numel() * sizeof(float))
      return status::error("tensor '" + prefix + t.name + "' in the checkpoint has another type or shape than the model's");
    std::memcpy(a.at(t), ct->bytes.data(), ct->bytes.size());
  }
  return status::ok();
}

trainer::trainer(lm_model& model, const tokenizer& tok, batch_sampler& sampler, const fixed_batches& train_eval,
                 const fixed_batches& val_eval, const train_config& cfg)
    : model_(model),
      tok_(tok),
      sampler_(sampler),
      train_eval_(train_eval),
      val_eval_(val_eval),
      cfg_(cfg),
      opt_(cfg.optim, model.param_specs(), model.params().size()),
      dropout_rng_(cfg.seed ^ 0x5deece66dULL),
      carried_(model, sampler.batch()) {
  if (cfg_.schedule.decay_iters == 0) cfg_.schedule.decay_iters = cfg_.iters;
  if (cfg_.checkpoint_interval == 0) cfg_.checkpoint_interval = cfg_.eval_interval;
  size_t n = static_cast<size_t>(sampler.batch()) * sampler.context();
  inputs_.resize(n);
  targets_.resize(n);
}

status trainer::save_checkpoint(const std::string& path) {
  to_host();
  return save_at(path, here());
}

void trainer::to_host() {
  model_.params_to_host();
  opt_.moments_to_host();
}

status trainer::to_device() {
  ctx_ = model_.exec();
  PLUMA_TRY(opt_.to_device(ctx_));
  model_.params_to_device();
  return status::ok();
}

status trainer::save_at(const std::string& path, const position& pos) {
  checkpoint ck;
  checkpoint_add_model(ck, model_, tok_);
  const auto& specs = model_.param_specs();
  checkpoint_put_arena(ck, "optimizer.m.", specs, opt_.m());
  checkpoint_put_arena(ck, "optimizer.v.", specs, opt_.v());
  carried_.put(ck, pos.state);
  nlohmann::json training = {
      {"step", step_},
      {"optimizer_steps", opt_.step_count()},
      {"dropout_rng", format_hex64(pos.dropout_rng)},
      {"sampler", pos.sampler},
      {"train_loss", last_train_loss_},
      {"val_loss", last_val_loss_},
      {"settings", train_config_to_json(cfg_)},
  };
  ck.metadata["training"] = training.dump();
  return checkpoint_write(path, ck);
}

status trainer::restore(const checkpoint& ck) {
  auto it = ck.metadata.find("training");
  if (it == ck.metadata.end())
    return status::error("the checkpoint holds no training state (it was not written by pluma train); "
                         "it can be sampled from but not resumed");
  nlohmann::json t = nlohmann::json::parse(it->second, nullptr, false);
  uint64_t state = 0;
  int step = 0, optimizer_steps = 0;
  try {
    step = t.at("step").get<int>();
    optimizer_steps = t.at("optimizer_steps").get<int>();
    if (!parse_hex64(t.at("dropout_rng").get<std::string>(), state) || !t.contains("sampler") || step < 0)
      throw std::invalid_argument("dropout_rng");
  } catch (const std::exception&) {
    return status::error("the checkpoint's training state is malformed");
  }
  const auto& specs = model_.param_specs();
  PLUMA_TRY(checkpoint_get_arena(ck, "", specs, model_.params()));
  PLUMA_TRY(checkpoint_get_arena(ck, "optimizer.m.", specs, opt_.m()));
  PLUMA_TRY(checkpoint_get_arena(ck, "optimizer.v.", specs, opt_.v()));
  PLUMA_TRY(sampler_.restore(t["sampler"]).with_context("restoring the batch sampler"));
  PLUMA_TRY(carried_.restore(ck));
  dropout_rng_.state = state;
  step_ = step;
  opt_.set_step_count(optimizer_steps);
  auto loss_of = [&](const char* key) { return t.contains(key) && t[key].is_number() ? t[key].get<float>() : 0.0f; };
  last_train_loss_ = loss_of("train_loss");
  last_val_loss_ = loss_of("val_loss");
  return status::ok();
}

status trainer::distribute(communicator& comm) {
  comm_ = &comm;
  if (comm.size() == 1) return status::ok();
  PLUMA_TRY(distributed_check_batch(sampler_.batch(), cfg_.grad_accum, comm.size()));
  const std::string model_json = model_.config_json().dump();
  PLUMA_TRY(distributed_check_same(comm, bytes_hash(model_json.data(), model_json.size()), "model"));
  for (arena* a : {&model_.params(), &opt_.m(), &opt_.v()}) comm.broadcast(a->data(), a->size() * sizeof(float), 0);
  uint64_t h = bytes_hash(train_eval_.inputs.data(), train_eval_.inputs.size() * sizeof(int));
  h = bytes_hash(val_eval_.inputs.data(), val_eval_.inputs.size() * sizeof(int), h);
  PLUMA_TRY(distributed_check_same(comm, h, "data (its evaluation batches)"));
  const std::string pos = nlohmann::json{{"step", step_}, {"optimizer_steps", opt_.step_count()},
                                         {"sampler", sampler_.state()}, {"dropout_rng", dropout_rng_.state}}.dump();
  return distributed_check_same(comm, bytes_hash(pos.data(), pos.size()), "training position (step, sampler, dropout)");
}

float trainer::eval_loss(const fixed_batches& fb) {
  // Each rank evaluates its rows of every batch, in micro-batches of the training micro-batch size (same
  // memory as training); the ranks' means (over as many rows each) are averaged.
  const batch_slice rows = batch_slice_of(fb.B, comm_->rank(), comm_->size());
  int micro = rows.count % cfg_.grad_accum == 0 ? rows.count / cfg_.grad_accum : rows.count;
  double sum = 0;
  int n = 0;
  for (int i = 0; i < fb.count; i++)
    for (int r = rows.first; r < rows.first + rows.count; r += micro, n++) {
      size_t off = static_cast<size_t>(r) * fb.T;
      sum += model_.forward_loss(fb.inputs_of(i) + off, fb.targets_of(i) + off, micro, fb.T);
    }
  float mean = n ? static_cast<float>(sum / n) : 0.0f;
  comm_->allreduce_mean(&mean, 1);
  return mean;
}

void trainer::compute_gradients(float& loss, double& norm) {
  const int T = sampler_.context();
  // Every rank draws the whole global batch (the same stream on every rank) and computes its rows of it.
  const batch_slice rows = batch_slice_of(sampler_.batch(), comm_->rank(), comm_->size());
  const int micro = rows.count / cfg_.grad_accum;
  // A recurrent model starts from zeros when the batch does not continue the previous one (a new pass of
  // the stream sampler; every batch of random windows), else each micro-batch from its rows' carried state.
  if (sampler_.next(inputs_.data(), targets_.data())) carried_.clear();
  model_.zero_grads();
  // Several ranks draw distinct dropout masks from streams split off the shared generator (which then advances
  // past them, when the model drew any).
  const int n_ranks = comm_->size();
  rng rank_rng(dropout_rng_.peek_u64(comm_->rank()));
  rng& drop = n_ranks > 1 ? rank_rng : dropout_rng_;
  double loss_sum = 0;
  const float scale = 1.0f / cfg_.grad_accum;
  for (int m = 0; m < cfg_.grad_accum; m++) {
    const int first = rows.first + m * micro;
    size_t off = static_cast<size_t>(first) * T;
    carried_.load(first, micro);
    loss_sum += model_.forward_backward(inputs_.data() + off, targets_.data() + off, micro, T, scale, drop);
    carried_.store(first, micro);
  }
  carried_.share(*comm_, rows.first, rows.count);
  if (n_ranks > 1 && rank_rng.state != rng(dropout_rng_.peek_u64(comm_->rank())).state) dropout_rng_.discard(n_ranks);
  loss = static_cast<float>(loss_sum / cfg_.grad_accum);
  // Every rank's loss is a mean over as many targets, so the mean over ranks is the global batch's mean (and
  // so are the gradients), taken before the norm. Gradients on a GPU are averaged there (NCCL) or cross
  // through the host.
  const long n = static_cast<long>(model_.grads().size());
  if (n_ranks > 1 && !comm_->allreduce_mean_device(ctx_, model_.grad_block(), n)) {
    model_.grads_to_host();
    comm_->allreduce_mean(model_.grads().data(), n);
    model_.grads_to_device();
  }
  comm_->allreduce_mean(&loss, 1);
  norm = std::sqrt(tensor_sumsq(ctx_, model_.grad_block(), n));
}

void trainer::apply_update(int it, double norm) {
  float lr = static_cast<float>(lr_at(cfg_.schedule, it));
  opt_.step(ctx_, model_.param_block(), model_.grad_block(), lr, grad_clip_scale(norm, cfg_.grad_clip));
  step_ = it + 1;
}

status trainer::check_ranks_in_step(int it) {
  if (comm_->size() == 1) return status::ok();
  uint64_t h = bytes_hash(nullptr, 0);
  for (const arena* a : {&model_.params(), &opt_.m(), &opt_.v()}) h = bytes_hash(a->data(), a->size() * sizeof(float), h);
  return distributed_check_same(*comm_, h, "parameters and optimizer moments at iteration " + std::to_string(it) +
                                               " (the ranks went out of step)");
}

// One run(): timing, the metrics log, the callback, and where the last good checkpoint is.
struct trainer::loop {
  trainer& t;
  const train_callback& callback;
  train_result& result;
  const clock_type::time_point t0 = clock_type::now();
  const int start;
  const double tokens_per_step;
  metrics_writer metrics;
  int last_saved = -1;
  bool stop = false;
  double train_time = 0, eval_time = 0, window_time = 0, tokens_per_s = 0;
  int steps_run = 0, evals_run = 0, window_steps = 0;

  loop(trainer& tr, const train_callback& cb, train_result& res)
      : t(tr), callback(cb), result(res), start(tr.step_),
        tokens_per_step(static_cast<double>(tr.sampler_.batch()) * tr.sampler_.context()) {}

  bool report(train_progress p) {
    p.iters = t.cfg_.iters;
    p.elapsed_s = seconds_since(t0);
    if (callback && !callback(p) && !stop) {
      stop = true;
      result.stop_reason = "stopped on request";
    }
    return !stop;
  }
  double eta(int it) const {
    if (steps_run == 0) return 0.0;
    int left = t.cfg_.iters - it;
    double per_eval = evals_run ? eval_time / evals_run : 0.0;
    return left * (train_time / steps_run) + (left / t.cfg_.eval_interval + 1) * per_eval;
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

  status evaluate(int it) {
    auto te = clock_type::now();
    train_progress p;
    p.event = train_progress::kind::eval;
    p.iter = it;
    p.train_loss = t.last_train_loss_ = t.eval_loss(t.train_eval_);
    p.val_loss = t.last_val_loss_ = t.eval_loss(t.val_eval_);
    eval_time += seconds_since(te);
    evals_run++;
    for (auto [name, v] : {std::pair{"training", p.train_loss}, std::pair{"validation", p.val_loss}})
      if (!std::isfinite(v))
        return failure(std::string("the ") + name + " loss became " + (std::isnan(v) ? "NaN" : "infinite") +
                       " at iteration " + std::to_string(it));
    p.lr = lr_at(t.cfg_.schedule, it);
    p.tokens_per_s = tokens_per_s;
    p.eta_s = eta(it);
    metrics_record r;
    r.iter = it;
    r.train_loss = p.train_loss;
    r.val_loss = p.val_loss;
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
    p.lr = lr_at(t.cfg_.schedule, it);
    position before = t.here();
    double norm = 0;
    t.compute_gradients(p.loss, norm);
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
    steps_run++;
    window_steps++;
    if (tokens_per_s == 0 || window_steps >= t.cfg_.log_interval) tokens_per_s = window_steps * tokens_per_step / window_time;
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
    if (window_steps >= t.cfg_.log_interval) window_time = 0, window_steps = 0;
    report(p);
    return status::ok();
  }
};

status trainer::run(const train_callback& callback, train_result& result) {
  result = train_result{};
  loop lp(*this, callback, result);
  PLUMA_TRY(to_device());
  const bool log_here = !cfg_.metrics.empty() && comm_->rank() == 0;
  PLUMA_TRY(distributed_agree(*comm_, log_here ? lp.metrics.open(cfg_.metrics, step_ > 0 ? step_ : -1) : status::ok()));
  for (int it = step_;; it++) {
    if (!lp.stop && cfg_.max_time_s > 0 && seconds_since(lp.t0) >= cfg_.max_time_s) {
      lp.stop = true;
      result.stop_reason = "time budget of " + format_g(cfg_.max_time_s) + " s reached";
    }
    lp.agree_stop();
    const bool end = lp.stop || it >= cfg_.iters;
    if (it % cfg_.eval_interval == 0 || end) PLUMA_TRY(lp.evaluate(it));
    if (end || lp.stop) {
      PLUMA_TRY(lp.save(it, here()));
      break;
    }
    PLUMA_TRY(lp.step(it, it > lp.start && it % cfg_.checkpoint_interval == 0));
  }
  to_host();
  result.steps = step_;
  result.train_loss = last_train_loss_;
  result.val_loss = last_val_loss_;
  result.stopped_early = step_ < cfg_.iters;
  return status::ok();
}

}  // namespace pluma
