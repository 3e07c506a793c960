#!/usr/bin/env python3
"""PyTorch side of the GPU benchmark (tools/bench/gpu_bench.sh): the same GPT as pluma's, timed on the
same GPU, or trained on tiny Shakespeare to a validation loss.

The model has pluma's GPT structure (model/gpt): token embedding tied to the bias-free LM head, learned
position embedding, pre-LayerNorm blocks with a fused qkv Linear, causal attention, an exact-GELU MLP 4C,
final LayerNorm; dropout (when > 0) on the embedding sum, the attention projection and the MLP output,
none on the attention probabilities. Init N(0, 0.02), residual projections N(0, 0.02/sqrt(2L)).
One training step = zero grads, forward + mean cross-entropy, backward, grad-norm clip 1.0, AdamW.

  time  (default): random tokens, --warmup steps then --steps timed steps (CUDA events around each);
                   prints the median ms/step, tokens/s and MFU.
  train (--train): char-level tiny Shakespeare (90/10 split), nanoGPT's shakespeare-char recipe
                   (AdamW 1e-3 -> 1e-4 cosine over --iters after 100 warmup, betas 0.9/0.99, weight decay 0.1
                   on matrices and embeddings); val loss over --eval-iters batches every --eval-interval;
                   stops at --iters or when val loss <= --target-loss; reports the wall time.

MFU = model FLOPs per token x tokens/s / peak, with FLOPs per token = 6 N + 12 L C T (N: parameters without
the position embedding, as nanoGPT estimates it) and the peak the card's dense bf16 tensor rate from its
datasheet (H100 SXM / H200: 989 TFLOP/s, H100 PCIe: 756, A100: 312) unless --peak-tflops gives one; the same
convention as tools/bench/cuda_ops_bench.

The last line printed is a JSON summary. Runs on the CPU too (--device cpu), to check the script itself.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

PRESETS = {
    # name: (layers, heads, embd, context, vocab, batch, dropout)
    "gpt2-small": (12, 12, 768, 1024, 50304, 8, 0.0),
    "shakespeare-char": (6, 6, 384, 256, 65, 64, 0.2),
    "tiny": (2, 2, 32, 16, 37, 4, 0.1),
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=sorted(PRESETS), default="gpt2-small")
    p.add_argument("--batch", type=int, help="batch size (default: the preset's)")
    p.add_argument("--dropout", type=float, help="dropout (default: the preset's)")
    p.add_argument("--mode", choices=["eager", "compile"], default="eager", help="torch.compile the model or not")
    p.add_argument("--precision", choices=["fp32", "tf32", "bf16"], default="fp32",
                   help="fp32: exact float32 matmuls; tf32: tensor cores on float32; bf16: autocast to bfloat16 "
                        "(float32 master weights and optimizer)")
    p.add_argument("--attention", choices=["sdpa", "manual"], default="sdpa",
                   help="F.scaled_dot_product_attention (fused) or q.kT / softmax / .v written out")
    p.add_argument("--device", default="cuda")
    p.add_argument("--steps", type=int, default=20, help="timed steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (compilation happens here)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--peak-tflops", type=float, help="peak for MFU (default: from the card's name)")
    p.add_argument("--train", action="store_true", help="train on tiny Shakespeare instead of timing")
    p.add_argument("--data", default=os.environ.get("TINYSHAKESPEARE", ""),
                   help="tinyshakespeare.txt (default $TINYSHAKESPEARE, else ../shared/data beside the project)")
    p.add_argument("--iters", type=int, default=5000)
    p.add_argument("--eval-interval", type=int, default=250)
    p.add_argument("--eval-iters", type=int, default=200)
    p.add_argument("--target-loss", type=float, default=1.47)
    p.add_argument("--time-budget", type=float, default=0.0, help="stop training after this many seconds (0: none)")
    p.add_argument("--json", help="also write the summary to this file")
    args = p.parse_args(argv)
    if args.steps < 1 or args.warmup < 0:
        p.error("--steps must be >= 1 and --warmup >= 0")
    return args


def build_model(torch, nn, F, L, NH, C, T, V, dropout, attention):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(C)
            self.qkv = nn.Linear(C, 3 * C)
            self.proj = nn.Linear(C, C)
            self.ln2 = nn.LayerNorm(C)
            self.fc = nn.Linear(C, 4 * C)
            self.fcproj = nn.Linear(4 * C, C)
            self.drop = nn.Dropout(dropout)
            self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)), persistent=False)

        def attend(self, x):
            B_, T_, _ = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            q, k, v = (t.view(B_, T_, NH, C // NH).transpose(1, 2) for t in (q, k, v))
            if attention == "sdpa":
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // NH))
                att = att.masked_fill(~self.mask[:T_, :T_], float("-inf")).softmax(dim=-1)
                y = att @ v
            return self.proj(y.transpose(1, 2).contiguous().view(B_, T_, C))

        def forward(self, x):
            x = x + self.drop(self.attend(self.ln1(x)))
            return x + self.drop(self.fcproj(F.gelu(self.fc(self.ln2(x)))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(V, C)
            self.wpe = nn.Embedding(T, C)
            self.drop = nn.Dropout(dropout)
            self.blocks = nn.ModuleList(Block() for _ in range(L))
            self.ln_f = nn.LayerNorm(C)
            for name, prm in self.named_parameters():
                if name.endswith(".bias"):
                    nn.init.zeros_(prm)
                elif prm.dim() >= 2:
                    std = 0.02 / math.sqrt(2 * L) if name.endswith(("proj.weight",)) else 0.02
                    nn.init.normal_(prm, 0.0, std)

        def forward(self, idx, targets):
            pos = torch.arange(idx.shape[1], device=idx.device)
            x = self.drop(self.wte(idx) + self.wpe(pos))
            for b in self.blocks:
                x = b(x)
            logits = self.ln_f(x) @ self.wte.weight.t()   # the LM head, tied
            return F.cross_entropy(logits.float().view(-1, V), targets.view(-1))

    return GPT()


def card_peak_tflops(name):
    n = name.upper()
    if "H100" in n and "PCIE" in n:
        return 756.0
    if "H100" in n or "H200" in n:
        return 989.0
    if "A100" in n:
        return 312.0
    return None


def main(argv):
    args = parse_args(argv)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    L, NH, C, T, V, B, dropout = PRESETS[args.preset]
    B = args.batch or B
    dropout = args.dropout if args.dropout is not None else dropout
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        print("gpt_gpu_reference: no CUDA device visible to torch", file=sys.stderr)
        return 1
    attention = args.attention
    if attention == "sdpa" and not hasattr(F, "scaled_dot_product_attention"):
        attention = "manual"   # torch < 2.0
    if cuda:
        tf32 = args.precision == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    torch.manual_seed(args.seed)

    data = None
    if args.train:
        path = args.data or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                                         "data", "tinyshakespeare.txt")
        if not os.path.exists(path):
            print(f"gpt_gpu_reference: no tiny Shakespeare at {path} (give --data or $TINYSHAKESPEARE)", file=sys.stderr)
            return 1
        text = open(path, encoding="utf-8").read()
        chars = sorted(set(text))
        stoi = {c: i for i, c in enumerate(chars)}
        ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
        split = int(len(ids) * 0.9)
        data = {"train": ids[:split].to(dev), "val": ids[split:].to(dev)}
        V = len(chars)

    model = build_model(torch, nn, F, L, NH, C, T, V, dropout, attention).to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    n_model = n_params - model.wpe.weight.numel()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    lr = 1e-3 if args.train else 6e-4
    betas = (0.9, 0.99) if args.train else (0.9, 0.95)
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        opt = torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8, fused=cuda)
    except (TypeError, RuntimeError):
        opt = torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8)
    step_model = model
    compiled = False
    if args.mode == "compile":
        if not hasattr(torch, "compile"):
            print("gpt_gpu_reference: this torch has no torch.compile", file=sys.stderr)
            return 1
        step_model = torch.compile(model)
        compiled = True

    def autocast():
        if args.precision == "bf16":
            return torch.autocast(device_type=dev.type, dtype=torch.bfloat16)
        return torch.autocast(device_type=dev.type, enabled=False)

    gen = torch.Generator(device="cpu").manual_seed(args.seed)

    def batch(split=None):
        if split is None:   # random tokens
            x = torch.randint(V, (B, T), generator=gen)
            y = torch.randint(V, (B, T), generator=gen)
            return x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
        d = data[split]
        ix = torch.randint(len(d) - T, (B,), generator=gen).to(dev)
        off = torch.arange(T, device=dev)
        return d[ix[:, None] + off], d[ix[:, None] + off + 1]

    def train_step(x, y):
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = step_model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    def sync():
        if cuda:
            torch.cuda.synchronize()

    card = torch.cuda.get_device_name(dev) if cuda else "cpu"
    peak = args.peak_tflops or (card_peak_tflops(card) if cuda else None)
    flops_per_token = 6.0 * n_model + 12.0 * L * C * T
    summary = {"bench": "pytorch_gpt", "preset": args.preset, "mode": args.mode, "precision": args.precision,
               "attention": attention, "B": B, "T": T, "V": V, "layers": L, "heads": NH, "embd": C,
               "dropout": dropout, "params": n_params, "device": card, "torch": torch.__version__,
               "flops_per_token": flops_per_token, "peak_tflops": peak}

    if not args.train:
        model.train()
        for _ in range(args.warmup):
            train_step(*batch())
        sync()
        times = []
        for _ in range(args.steps):
            x, y = batch()
            if cuda:
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                loss = train_step(x, y)
                b.record()
                b.synchronize()
                times.append(a.elapsed_time(b))
            else:
                t0 = time.perf_counter()
                loss = train_step(x, y)
                times.append((time.perf_counter() - t0) * 1e3)
        ms = statistics.median(times)
        tok_s = B * T / (ms * 1e-3)
        summary.update(ms_per_step=ms, ms_min=min(times), ms_max=max(times), tokens_per_s=tok_s,
                       loss=float(loss), mfu=(flops_per_token * tok_s / (peak * 1e12)) if peak else None,
                       compiled=compiled)
        print(f"{args.preset} {args.mode} {args.precision} ({attention} attention) on {card}: "
              f"{ms:.2f} ms/step (min {min(times):.2f}, max {max(times):.2f}), {tok_s:,.0f} tokens/s"
              + (f", MFU {100 * summary['mfu']:.1f}% of {peak:.0f} TFLOP/s" if peak else ""))
    else:
        warmup, min_lr = 100, 1e-4

        def lr_at(it):
            if it < warmup:
                return lr * (it + 1) / warmup
            ratio = min(1.0, (it - warmup) / max(1, args.iters - warmup))
            return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)

        @torch.no_grad()
        def val_loss():
            model.eval()
            losses = []
            for _ in range(args.eval_iters):
                with autocast():
                    losses.append(float(step_model(*batch("val"))))
            model.train()
            return sum(losses) / len(losses)

        curve = []
        sync()
        t0 = time.perf_counter()
        eval_s = 0.0
        it = 0
        reached = None
        while it < args.iters:
            if it % args.eval_interval == 0 and it > 0:
                e0 = time.perf_counter()
                v = val_loss()
                eval_s += time.perf_counter() - e0
                curve.append((it, v))
                print(f"iter {it}: val loss {v:.4f} at {time.perf_counter() - t0:.1f} s", flush=True)
                if v <= args.target_loss:
                    reached = it
                    break
            if args.time_budget and time.perf_counter() - t0 > args.time_budget:
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(it)
            train_step(*batch("train"))
            it += 1
        if reached is None and it >= args.iters:
            v = val_loss()
            curve.append((it, v))
        sync()
        wall = time.perf_counter() - t0
        summary.update(iters=it, wall_s=wall, eval_s=eval_s, val_curve=curve, final_val_loss=curve[-1][1],
                       target_loss=args.target_loss, reached_target_at=reached)
        print(f"trained {it} iterations in {wall:.1f} s ({eval_s:.1f} s evaluating); val loss {curve[-1][1]:.4f}"
              + (f", target {args.target_loss} reached at iteration {reached}" if reached is not None else ""))

    line = json.dumps(summary)
    if args.json:
        with open(args.json, "w") as f:
            f.write(line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
