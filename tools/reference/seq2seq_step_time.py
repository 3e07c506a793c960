"""Times PyTorch training steps of the Multi30k translator (../shared/anchors/pytorch/seq2seq_multi30k.py's model,
batches, loss, Adam and clipping, at its default recipe) for make bench, without its 40-minute run: the anchor's
own SentencePiece BPE 8000 on train.en + train.de, its length-bucketed batches of 64, `--steps` optimizer steps.
Prints one JSON line: the target tokens (incl. <eos>) per second over the steps after the first `--skip`.
Run with /usr/bin/python3 (Debian's python3-torch and python3-sentencepiece)."""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

ANCHORS = os.environ.get("PLUMA_ANCHORS", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "..", "..", "..", "shared", "anchors", "pytorch"))
sys.path.insert(0, ANCHORS)
import seq2seq_multi30k as anchor  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=anchor.DATA_DIR)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--skip", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    D = lambda lang: os.path.join(a.data_dir, f"train.{lang}")  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        sp = anchor.train_spm([D("en"), D("de")], 8000, os.path.join(tmp, "spm.model"))
    src, tgt = sp.encode(anchor.read_lines(D("en"))), sp.encode(anchor.read_lines(D("de")))
    model = anchor.Seq2Seq(dict(vocab_size=sp.get_piece_size(), emb=256, enc_hidden=256, enc_layers=1, dec_hidden=512,
                                dropout=0.3))
    model.train()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=1e-3, foreach=True)
    batches = anchor.epoch_batches(src, tgt, 64, rng)
    tokens, seconds = 0, 0.0
    for step, b in enumerate(batches[:a.steps]):
        t0 = time.perf_counter()
        x, xl = anchor.make_src([src[i] for i in b])
        ti, _ = anchor.pad_batch([tgt[i] for i in b], prefix=anchor.BOS)
        to, _ = anchor.pad_batch([tgt[i] for i in b], suffix=anchor.EOS)
        logits = model(x, xl, ti)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), to.view(-1), ignore_index=anchor.PAD,
                               label_smoothing=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        loss.item()
        if step >= a.skip:
            seconds += time.perf_counter() - t0
            tokens += int((to != anchor.PAD).sum())
    print(json.dumps({"tgt_tokens_per_s": tokens / seconds, "steps": a.steps - a.skip, "threads": a.threads}))


if __name__ == "__main__":
    main()
