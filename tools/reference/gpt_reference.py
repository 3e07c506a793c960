#!/usr/bin/python3
"""Remakes tests/fixtures/gpt_reference.pluma: a tiny GPT run in PyTorch, for tests/test_gpt.cpp to match.

Run with Debian's torch (the python3 first on PATH may lack it), from the project root:
    /usr/bin/python3 tools/reference/gpt_reference.py [--out tests/fixtures/gpt_reference.pluma]

The model has the structure of ../shared/anchors/pytorch/gpt_char.py (pre-LN blocks, fused qkv Linear with
bias, manual causal attention, exact GELU MLP 4C, final LayerNorm, bias-free LM head tied to the token
embedding, learned position embedding, dropout 0). When that anchor script is found it is imported and
given the same weights, and its logits and loss must agree with this model's exactly (so the two stay
the same structure).

Parameters start from the init of gpt_char.py (N(0, 0.02), zero biases, unit LayerNorm weights, residual
projections N(0, 0.02/sqrt(2L))) and are then perturbed (biases and LayerNorm parameters random, matrices
larger), so that every parameter, bias and LayerNorm term changes the logits: a swapped or dropped term
in the engine cannot hide behind a zero bias or a unit weight.

The file has the .pluma (safetensors) layout, written with struct and json alone:
  <parameter name>            every parameter, PyTorch state_dict names (the tied lm_head.weight left out)
  inputs, targets             I64 (B, T)
  logits                      F32 (B, T, V)
  loss                        F32 () mean cross-entropy
  grad/<parameter name>       d loss / d parameter
  adamw/losses                F32 (steps) loss before each of the AdamW steps (adamw/losses[0] == loss)
  adamw/<parameter name>      parameters after the steps
  __metadata__: format, config (JSON, as the engine's config_json(): kind, vocab_size, context, layers,
                heads, embd, dropout, bias),
                adamw (JSON: lr, beta1, beta2, eps, weight_decay, steps; decay on >= 2-D params only), torch
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = dict(kind="gpt", vocab_size=11, context=8, layers=2, heads=2, embd=12, dropout=0.0, bias=True)
B, T = 3, 7
ADAMW = dict(lr=1e-2, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=0.1, steps=10)
SEED = 1234


class Attention(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.NH = NH
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)

    def forward(self, x):
        Bx, Tx, C = x.shape
        HS = C // self.NH
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(Bx, Tx, self.NH, HS).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HS)
        mask = torch.tril(torch.ones(Tx, Tx, dtype=torch.bool))
        att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(Bx, Tx, C)
        return self.proj(y)


class Mlp(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.fc = nn.Linear(C, 4 * C)
        self.proj = nn.Linear(4 * C, C)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))


class Block(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.ln1 = nn.LayerNorm(C)
        self.attn = Attention(C, NH)
        self.ln2 = nn.LayerNorm(C)
        self.mlp = Mlp(C)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        V, C = cfg["vocab_size"], cfg["embd"]
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(cfg["context"], C)
        self.blocks = nn.ModuleList([Block(C, cfg["heads"]) for _ in range(cfg["layers"])])
        self.ln_f = nn.LayerNorm(C)

    def forward(self, idx, targets):
        pos = torch.arange(idx.shape[1])
        x = self.wte(idx) + self.wpe(pos)
        for blk in self.blocks:
            x = blk(x)
        logits = self.ln_f(x) @ self.wte.weight.t()   # the LM head, tied to the token embedding
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss


def init_params(model, L):
    """The init of gpt_char.py, then perturbations so every parameter matters (see the module docstring)."""
    resid_std = 0.02 / math.sqrt(2 * L)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("mlp.proj.weight"):
                p.normal_(0.0, resid_std)
            elif p.dim() >= 2:
                p.normal_(0.0, 0.02)
            elif "ln" in name and name.endswith(".weight"):
                p.fill_(1.0)
            else:
                p.zero_()
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.mul_(15.0)                       # std 0.3 (0.15 for the residual projections)
            else:
                p.add_(torch.randn_like(p) * 0.2)  # biases N(0, 0.2), LayerNorm weights 1 + N(0, 0.2)


def check_against_anchor(model, idx, targets, logits, loss):
    """If the anchor gpt_char.py is reachable, give it our weights: it must compute the same thing."""
    here = os.path.dirname(os.path.abspath(__file__))
    anchor_dir = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "anchors", "pytorch"))
    if not os.path.exists(os.path.join(anchor_dir, "gpt_char.py")):
        print("note: anchor gpt_char.py not found at %s; structure cross-check skipped" % anchor_dir)
        return
    sys.path.insert(0, anchor_dir)
    import gpt_char  # noqa: E402
    c = CONFIG
    anchor = gpt_char.GPT(dict(vocab_size=c["vocab_size"], block_size=c["context"], n_layer=c["layers"],
                               n_head=c["heads"], n_embd=c["embd"], bias=c["bias"], dropout=c["dropout"]))
    sd = dict(model.state_dict())
    sd["lm_head.weight"] = sd["wte.weight"]
    anchor.load_state_dict(sd, strict=True)
    with torch.no_grad():
        a_logits, a_loss = anchor(idx, targets)
    d = (a_logits - logits).abs().max().item()
    assert d < 1e-6 and abs(a_loss.item() - loss.item()) < 1e-6, "anchor GPT disagrees: %g" % d
    print("anchor gpt_char.GPT with the same weights agrees (max |dlogit| %.2g)" % d)


def write_pluma(path, metadata, tensors):
    """tensors: list of (name, torch tensor); float -> F32, int64 -> I64."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous()
        if t.dtype == torch.float32:
            dtype, raw = "F32", t.numpy().astype("<f4").tobytes()
        elif t.dtype == torch.int64:
            dtype, raw = "I64", t.numpy().astype("<i8").tobytes()
        else:
            raise ValueError("unsupported dtype %s for %s" % (t.dtype, name))
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/gpt_reference.pluma")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(1)

    model = TinyGPT(CONFIG)
    init_params(model, CONFIG["layers"])
    names = [n for n, _ in model.named_parameters()]
    idx = torch.randint(0, CONFIG["vocab_size"], (B, T))
    targets = torch.randint(0, CONFIG["vocab_size"], (B, T))

    tensors = [(n, p.clone()) for n, p in model.named_parameters()]
    logits, loss = model(idx, targets)
    loss.backward()
    check_against_anchor(model, idx, targets, logits.detach(), loss.detach())
    tensors += [("inputs", idx), ("targets", targets), ("logits", logits), ("loss", loss.reshape(()))]
    tensors += [("grad/" + n, p.grad.clone()) for n, p in model.named_parameters()]

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": ADAMW["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]), eps=ADAMW["eps"])
    losses = []
    for _ in range(ADAMW["steps"]):
        opt.zero_grad(set_to_none=True)
        _, step_loss = model(idx, targets)
        step_loss.backward()
        opt.step()
        losses.append(step_loss.item())
    assert losses[0] == loss.item()
    tensors.append(("adamw/losses", torch.tensor(losses, dtype=torch.float32)))
    tensors += [("adamw/" + n, p.detach().clone()) for n, p in model.named_parameters()]

    metadata = {
        "format": "pluma-gpt-reference-1",
        "config": json.dumps(CONFIG),
        "adamw": json.dumps(ADAMW),
        "torch": torch.__version__,
        "made_by": "tools/reference/gpt_reference.py",
    }
    write_pluma(args.out, metadata, tensors)
    print("wrote %s: %d parameters (%d floats), loss %.6f, losses after AdamW %s"
          % (args.out, len(names), sum(p.numel() for p in model.parameters()), loss.item(),
             " ".join("%.4f" % l for l in losses)))


if __name__ == "__main__":
    main()
