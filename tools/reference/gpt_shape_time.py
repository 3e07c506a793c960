"""Times PyTorch training steps of the reference GPT (../shared/anchors/pytorch/gpt_char.py's model) at any
shape, on random char-level batches, with the same AdamW step and clipping. Used by `make bench` for shapes the
anchor script does not cover (e.g. --preset shakespeare-char). Prints one JSON line.
Run with /usr/bin/python3 (Debian's python3-torch)."""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_shape import add_shape_args, make_gpt  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    add_shape_args(ap, layers=6, heads=6, embd=384, context=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--iters", type=int, default=12)
    ap.add_argument("--skip", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(1337)
    torch.set_num_threads(a.threads)
    model = make_gpt(a)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.99), foreach=True)
    times = []
    for it in range(a.iters):
        t0 = time.perf_counter()
        x = torch.randint(0, a.vocab, (a.batch, a.context))
        y = torch.randint(0, a.vocab, (a.batch, a.context))
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
    ms = statistics.median(times[a.skip:]) * 1e3
    print(json.dumps({"ms_per_iter_median": ms, "tokens_per_iter": a.batch * a.context,
                      "params": sum(p.numel() for p in model.parameters()), "threads": a.threads}))


if __name__ == "__main__":
    main()
