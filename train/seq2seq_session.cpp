// train_session_open for a translator: sentence pairs, two tokenizers, the model, and its plug-ins into the
// one trainer (see session.h).
#include "model/model_io.h"
#include "model/rnn/seq2seq.h"
#include "train/seq2seq_plugins.h"
#include "train/session.h"

namespace pluma {

status seq2seq_session_open(const train_config& cfg, train_session& s) {
  std::unique_ptr<trainable> model;
  if (s.resumed) {
    PLUMA_TRY(checkpoint_load_trainable(s.resume_ck, model, s.pairs.tgt_tok, s.pairs.src_tok)
                  .with_context("'" + cfg.resume + "'"));
    if (model->kind() != model_kind::seq2seq)
      return status::error("'" + cfg.resume + "' holds a " + model_kind_name(model->kind()) +
                           " language model, not a translator (leave out --model seq2seq)");
    s.tokenizer_origin = "from the checkpoint";
  }
  PLUMA_TRY(seq2seq_data_open(cfg, s.pairs));
  s.tok = std::move(s.pairs.tgt_tok);
  s.src_tok = std::move(s.pairs.src_tok);
  if (!s.resumed) {
    s.tokenizer_origin = std::string(tokenizer_kind_name(s.tok->kind())) + ", trained on the training pairs";
    seq2seq_config mc;
    mc.src_vocab_size = s.src_tok->vocab_size();
    mc.vocab_size = s.tok->vocab_size();
    mc.emb = cfg.embd, mc.enc_hidden = cfg.hidden, mc.enc_layers = cfg.layers, mc.dec_hidden = cfg.dec_hidden;
    mc.dropout = cfg.dropout;
    mc.space_prefix = s.pairs.space_prefix;
    PLUMA_TRY(seq2seq_config_validate(mc));
    model = std::make_unique<seq2seq_model>(mc);
    model->init_params(cfg.seed);
  }
  auto& m = static_cast<seq2seq_model&>(*model);
  m.set_label_smoothing(cfg.label_smoothing);
  s.n_params = m.num_params();
  if (cfg.dev != device::cpu) PLUMA_TRY(m.set_device(exec_context{cfg.dev, nullptr}).with_context("--device cuda"));
  s.model = std::move(model);

  std::unique_ptr<seq2seq_batch_source> source;
  PLUMA_TRY(seq2seq_batch_source::create(s.pairs.train, cfg.batch, cfg.seed, source).with_context("training pairs"));
  std::unique_ptr<seq2seq_evaluator> eval;
  PLUMA_TRY(seq2seq_evaluator::create(m, s.pairs.valid, s.pairs.refs, *s.tok, cfg.batch, cfg.bleu_batch, cfg.seed, eval));
  s.source = std::move(source);
  s.eval = std::move(eval);
  s.tr = std::make_unique<trainer>(m, *s.tok, s.src_tok.get(), *s.source, *s.eval, cfg);
  if (s.resumed) {
    PLUMA_TRY(s.tr->restore(s.resume_ck).with_context("resuming from '" + cfg.resume + "'"));
    if (cfg.iters > 0 && s.tr->step() >= cfg.iters)
      return status::error("'" + cfg.resume + "' is already at iteration " + std::to_string(s.tr->step()) +
                           " of --iters " + std::to_string(cfg.iters) + "; give a larger --iters to train further");
    if (cfg.max_epochs > 0 && s.source->epochs() >= cfg.max_epochs)
      return status::error("'" + cfg.resume + "' has trained " + std::to_string(cfg.max_epochs) +
                           " epochs already (--max-epochs); give a larger --max-epochs to train further");
    s.resume_ck = checkpoint();   // free its memory
  }
  return status::ok();
}

}  // namespace pluma
