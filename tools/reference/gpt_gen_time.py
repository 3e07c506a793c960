"""Times PyTorch sampling (batch 1, temperature 1, KV cache) of a GPT of any shape with random weights, with the
anchor's own loop (../shared/anchors/pytorch/generate_speed.py's gpt_kv: at a full cache the last context/2
tokens are prefilled again). Used by make bench's curve for shapes the anchor does not save. One JSON line.
Run with /usr/bin/python3 (Debian's python3-torch)."""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_shape import add_shape_args, make_gpt  # noqa: E402  (puts the anchors on the path)
from generate_speed import gpt_kv  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    add_shape_args(ap, layers=4, heads=4, embd=128, context=64)
    ap.add_argument("--tokens", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.manual_seed(1337)
    torch.set_num_threads(a.threads)
    model = make_gpt(a)
    model.eval()
    rates = []
    with torch.inference_mode():
        gpt_kv(model, [0], min(100, a.tokens), 1.0, torch.Generator().manual_seed(1))   # warm-up
        for r in range(a.repeats):
            t0 = time.perf_counter()
            gpt_kv(model, [0], a.tokens, 1.0, torch.Generator().manual_seed(r))
            rates.append(a.tokens / (time.perf_counter() - t0))
    print(json.dumps({"tokens_per_s_median": statistics.median(rates), "tokens": a.tokens, "context": a.context,
                      "embd": a.embd, "layers": a.layers, "threads": a.threads}))


if __name__ == "__main__":
    main()
