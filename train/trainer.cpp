// trainer: construction, checkpoints, restore, the ranks, and one step's gradients and update (the loop itself
// is in trainer_loop.cpp).
#include "train/trainer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "model/model_io.h"
#include "model/ops/lanes.h"
#include "model/ops/tensor_util.h"
#include "train/text_format.h"

namespace pluma {

namespace {
const std::string latest_prefix = std::string(checkpoint_training_prefix) + "params.";   // the latest parameters, when the best are kept
}

uint64_t trainer::dropout_seed(const train_config& cfg) {
  // the translator's trainer always drew its dropout from seed + 1: kept, so its runs reproduce
  return cfg.model == model_kind::seq2seq ? cfg.seed + 1 : cfg.seed ^ 0x5deece66dULL;
}

trainer::trainer(lm_model& model, const tokenizer& tok, batch_sampler& sampler, const fixed_batches& train_eval,
                 const fixed_batches& val_eval, const train_config& cfg)
    : model_(model),
      tok_(tok),
      own_source_(std::make_unique<lm_batch_source>(sampler)),
      own_eval_(std::make_unique<lm_evaluator>(model, train_eval, val_eval, cfg.grad_accum)),
      source_(*own_source_),
      eval_(*own_eval_),
      cfg_(cfg),
      opt_(cfg.optim, model.param_specs(), model.params().size()),
      dropout_rng_(dropout_seed(cfg)),
      carried_(model, sampler.batch()) {
  settle_config();
}

trainer::trainer(trainable& model, const tokenizer& tok, const tokenizer* src_tok, batch_source& source,
                 evaluator& eval, const train_config& cfg)
    : model_(model),
      tok_(tok),
      src_tok_(src_tok),
      source_(source),
      eval_(eval),
      cfg_(cfg),
      opt_(cfg.optim, model.param_specs(), model.params().size()),
      dropout_rng_(dropout_seed(cfg)),
      carried_(model, source.max_rows()) {
  settle_config();
}

void trainer::settle_config() {
  if (cfg_.lanes == 0) {
    const int threads = omp_get_max_threads();
    const double per_lane = double(cfg_.bf16 ? 6 : 4) * double(model_.params().size());   // gradients, bf16 weights
    const bool fits = double(threads - 1) * per_lane <= lanes_extra_bytes;
    const bool rows = source_.max_rows() / cfg_.grad_accum >= threads;
    const bool pays = model_.lanes_by_default() && !carried_.carries();
    cfg_.lanes = threads > 1 && threads <= lanes_max() && fits && rows && pays ? threads : 1;
  }
  set_lanes(carried_.carries() ? 1 : cfg_.lanes);
  if (cfg_.schedule.decay_iters == 0) cfg_.schedule.decay_iters = cfg_.iters;
  if (cfg_.checkpoint_interval == 0) cfg_.checkpoint_interval = cfg_.eval_interval;
}

void trainer::set_lanes(int n) {
  lanes_ = std::make_unique<lane_set>(model_, n);
  cfg_.lanes = lanes_->count();   // what the model can have (1 on a GPU): what checkpoints save
  if (own_eval_) own_eval_->set_lanes(cfg_.lanes);
}

trainer::~trainer() = default;

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
  const auto& specs = model_.param_specs();
  const bool keep = cfg_.keep_best != keep_best_kind::none;
  // The model's tensors are what a user samples or translates with: the best parameters when they are kept
  // (the latest then travel beside them, for a resume).
  checkpoint_add_model(ck, model_, tok_, src_tok_, keep && best_ ? &best_params_ : nullptr);
  if (keep) checkpoint_put_arena(ck, latest_prefix, specs, model_.params());
  checkpoint_put_arena(ck, std::string(checkpoint_optimizer_prefix) + "m.", specs, opt_.m());
  checkpoint_put_arena(ck, std::string(checkpoint_optimizer_prefix) + "v.", specs, opt_.v());
  carried_.put(ck, pos.state);
  nlohmann::json training = {
      {"step", step_},
      {"optimizer_steps", opt_.step_count()},
      {"dropout_rng", format_hex64(pos.dropout_rng)},
      {"sampler", pos.source},
      {"epoch_done", pos.epoch_done},
      {"evaluated_at", evaluated_at_},
      {"plateau", lr_plateau_to_json(plateau_)},
      {"train_loss", last_train_loss_},
      {"val_loss", last_val_loss_},
      {"settings", train_config_to_json(cfg_)},
  };
  if (best_) training["best"] = {{"metric", keep_best_kind_name(cfg_.keep_best)}, {"value", *best_}, {"step", best_step_}};
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
  lr_plateau plateau;
  try {
    step = t.at("step").get<int>();
    optimizer_steps = t.at("optimizer_steps").get<int>();
    if (!parse_hex64(t.at("dropout_rng").get<std::string>(), state) || !t.contains("sampler") || step < 0)
      throw std::invalid_argument("dropout_rng");
    if (t.contains("plateau")) PLUMA_TRY(lr_plateau_from_json(t["plateau"], plateau));
    if (t.contains("best") && !t["best"].at("value").is_number()) throw std::invalid_argument("best");
  } catch (const std::exception&) {
    return status::error("the checkpoint's training state is malformed");
  }
  const auto& specs = model_.param_specs();
  const bool has_latest = !specs.empty() && ck.find(latest_prefix + specs.front().name);
  PLUMA_TRY(checkpoint_get_arena(ck, has_latest ? latest_prefix : "", specs, model_.params()));
  PLUMA_TRY(checkpoint_get_arena(ck, std::string(checkpoint_optimizer_prefix) + "m.", specs, opt_.m()));
  PLUMA_TRY(checkpoint_get_arena(ck, std::string(checkpoint_optimizer_prefix) + "v.", specs, opt_.v()));
  PLUMA_TRY(source_.restore(t["sampler"]).with_context("restoring the batch position"));
  PLUMA_TRY(carried_.restore(ck));
  if (t.contains("best") && cfg_.keep_best != keep_best_kind::none) {
    best_params_ = arena(model_.params().size());
    PLUMA_TRY(checkpoint_get_arena(ck, "", specs, best_params_));
    best_ = t["best"]["value"].get<double>();
    best_step_ = t["best"].value("step", 0);
  }
  dropout_rng_.state = state;
  step_ = step;
  epoch_done_ = t.value("epoch_done", false);
  evaluated_at_ = t.value("evaluated_at", -1);
  plateau_ = plateau;
  opt_.set_step_count(optimizer_steps);
  auto loss_of = [&](const char* key) { return t.contains(key) && t[key].is_number() ? t[key].get<float>() : 0.0f; };
  last_train_loss_ = loss_of("train_loss");
  last_val_loss_ = loss_of("val_loss");
  return status::ok();
}

status trainer::distribute(communicator& comm) {
  comm_ = &comm;
  if (comm.size() == 1) return status::ok();
  // Lanes split a rank's share of each micro-batch: with fewer rows than lanes there, none
  if (lanes_->count() > 1 && source_.max_rows() / comm.size() / cfg_.grad_accum < lanes_->count()) set_lanes(1);
  if (source_.uniform()) PLUMA_TRY(distributed_check_batch(source_.max_rows(), cfg_.grad_accum, comm.size()));
  const std::string model_json = model_.config_json().dump();
  PLUMA_TRY(distributed_check_same(comm, bytes_hash(model_json.data(), model_json.size()), "model"));
  for (arena* a : {&model_.params(), &opt_.m(), &opt_.v()}) comm.broadcast(a->data(), a->size() * sizeof(float), 0);
  PLUMA_TRY(distributed_check_same(comm, eval_.data_hash(), "data (its evaluation batches)"));
  const std::string pos = nlohmann::json{{"step", step_}, {"optimizer_steps", opt_.step_count()},
                                         {"sampler", source_.state()}, {"dropout_rng", dropout_rng_.state}}.dump();
  return distributed_check_same(comm, bytes_hash(pos.data(), pos.size()), "training position (step, sampler, dropout)");
}

void trainer::compute_gradients(float& loss, double& norm, long& tokens) {
  // Every rank draws the whole global batch (the same stream on every rank) and computes its rows of it.
  train_batch b;
  const bool fresh = source_.next(b);
  epoch_done_ = source_.epoch_done();
  // A recurrent model starts from zeros when the batch does not continue the previous one (a new pass of
  // the stream sampler; every batch of random windows), else each micro-batch from its rows' carried state.
  if (fresh) carried_.clear();
  const int n_ranks = comm_->size(), rank = comm_->rank(), accum = cfg_.grad_accum;
  const bool uniform = source_.uniform();
  batch_slice rows = batch_slice_of(b.B, rank, n_ranks);
  if (!uniform) {   // rows as even as they come; each weighs by its scored targets
    const int first = static_cast<int>(static_cast<long>(b.B) * rank / n_ranks);
    rows = {first, static_cast<int>(static_cast<long>(b.B) * (rank + 1) / n_ranks) - first};
  }
  tokens = b.scored(0, b.B);
  bool written = false;   // whether a micro-batch has written the gradients yet
  lanes_->begin_step();
  // Several ranks draw distinct dropout masks from streams split off the shared generator (which then advances
  // past them, when the model drew any).
  rng rank_rng(dropout_rng_.peek_u64(rank));
  rng& drop = n_ranks > 1 ? rank_rng : dropout_rng_;
  double loss_sum = 0;
  for (int m = 0; m < accum; m++) {
    int first = 0, count = 0;
    if (uniform) {
      count = rows.count / accum;
      first = rows.first + m * count;
    } else {
      first = rows.first + static_cast<int>(static_cast<long>(rows.count) * m / accum);
      count = rows.first + static_cast<int>(static_cast<long>(rows.count) * (m + 1) / accum) - first;
    }
    if (count == 0) continue;
    const train_batch mb = b.rows(first, count);
    carried_.load(first, count);
    written = true;
    if (uniform) {
      loss_sum += lanes_->forward_backward(mb, 1.0f / accum, drop);
    } else {   // this micro-batch's share of the global batch's mean, times the ranks (whose mean is taken)
      const double w = static_cast<double>(mb.scored(0, count)) * n_ranks / static_cast<double>(tokens);
      loss_sum += lanes_->forward_backward(mb, static_cast<float>(w), drop) * w;
    }
    carried_.store(first, count);
  }
  if (written)
    lanes_->end_step();
  else
    model_.zero_grads();   // this rank had no rows
  carried_.share(*comm_, rows.first, rows.count);
  if (n_ranks > 1 && rank_rng.state != rng(dropout_rng_.peek_u64(rank)).state) dropout_rng_.discard(n_ranks);
  loss = static_cast<float>(uniform ? loss_sum / accum : loss_sum);
  // Every rank's loss and gradients are its share of the global batch's mean (times the ranks), so their mean
  // over ranks is the global batch's mean, taken before the norm. Gradients on a GPU are averaged there (NCCL)
  // or cross through the host.
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
  float lr = static_cast<float>(lr_of(it));
  opt_.step(ctx_, model_.param_block(), model_.grad_block(), lr, grad_clip_scale(norm, cfg_.grad_clip));
  step_ = it + 1;
}

bool trainer::note_evaluation(int it, const eval_result& r, bool scheduled) {
  evaluated_at_ = it;
  if (scheduled) lr_plateau_update(cfg_.schedule, plateau_, r.val_loss);
  if (cfg_.keep_best == keep_best_kind::none || it == 0) return false;
  double v = 0;
  bool higher_better = false;
  if (cfg_.keep_best == keep_best_kind::bleu && r.val_bleu) v = *r.val_bleu, higher_better = true;
  else v = r.val_loss;
  if (best_ && (higher_better ? v <= *best_ : v >= *best_)) return false;
  best_ = v;
  best_step_ = it;
  model_.params_to_host();
  if (best_params_.size() != model_.params().size()) best_params_ = arena(model_.params().size());
  std::memcpy(best_params_.data(), model_.params().data(), model_.params().size() * sizeof(float));
  return true;
}

status trainer::check_ranks_in_step(int it) {
  if (comm_->size() == 1) return status::ok();
  uint64_t h = bytes_hash(nullptr, 0);
  for (const arena* a : {&model_.params(), &opt_.m(), &opt_.v()}) h = bytes_hash(a->data(), a->size() * sizeof(float), h);
  return distributed_check_same(*comm_, h, "parameters and optimizer moments at iteration " + std::to_string(it) +
                                               " (the ranks went out of step)");
}

}  // namespace pluma
