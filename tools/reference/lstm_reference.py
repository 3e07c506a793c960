#!/usr/bin/python3
"""Writes tests/fixtures/lstm_reference.pluma: a tiny LSTM language model built with PyTorch and the
numbers pluma's LSTM LM must reproduce (tests/test_lstm.cpp).

Model (the same as ../shared/anchors/pytorch/lstm_char.py, state_dict names included):
Embedding(V, E) -> nn.LSTM(E, H, L layers, batch_first, no dropout) -> Linear(H, V) with bias ->
mean cross-entropy. V=11, E=8, H=12, L=2, batch B=3, T=6 steps, PyTorch default init, seed 1234.
Everything is computed in float64 (the oracle) and stored as float32; token ids are stored as int64.

Tensors in the file (safetensors layout: 8-byte little-endian header length, JSON header, raw data):
  <param>                   the initial parameters (emb.weight, lstm.weight_ih_l0, ..., head.weight, head.bias)
  inputs, targets           (B, T) int64
  h0, c0                    (L, B, H) nonzero initial state
  logits                    (B, T, V)
  hT, cT                    (L, B, H) final state
  loss                      (1) mean cross-entropy
  grad.<param>, grad.h0, grad.c0   gradients of the loss
  inputs2, targets2, loss2, hT2, cT2   a second batch continuing from the detached (hT, cT) (truncated BPTT)
  adam.losses               (5) the loss before each of 5 Adam steps (same batch, same h0/c0 every step)
  adam.<param>              the parameters after the 5 steps
__metadata__: format, config (JSON), adam (JSON hyperparameters), torch version.

Run: /usr/bin/python3 tools/reference/lstm_reference.py [--out tests/fixtures/lstm_reference.pluma]
"""
import argparse
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

V, E, H, L, B, T = 11, 8, 12, 2, 3, 6
SEED = 1234
ADAM = dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, steps=5)


class char_lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, num_layers=L, batch_first=True)
        self.head = nn.Linear(H, V)

    def forward(self, idx, targets, state):
        out, state = self.lstm(self.emb(idx), state)
        logits = self.head(out)
        loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
        return logits, loss, state


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[arr.dtype]
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)   # pad so the data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def f32(t):
    return t.detach().to(torch.float32).numpy()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "tests", "fixtures", "lstm_reference.pluma"))
    args = ap.parse_args()

    torch.manual_seed(SEED)
    model = char_lstm()             # default init in float32, as a user's model would have
    model = model.double()          # then all arithmetic in float64
    # Round the initial parameters to float32 so pluma starts from exactly the stored values.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())
    params0 = {k: f32(v) for k, v in model.state_dict().items()}

    gen = torch.Generator().manual_seed(SEED + 1)
    tokens = torch.randint(0, V, (B, 2 * T + 1), generator=gen)
    x, y = tokens[:, :T], tokens[:, 1:T + 1]
    x2, y2 = tokens[:, T:2 * T], tokens[:, T + 1:2 * T + 1]
    h0 = (0.5 * torch.randn(L, B, H, generator=gen)).float().double().requires_grad_(True)
    c0 = (0.5 * torch.randn(L, B, H, generator=gen)).float().double().requires_grad_(True)

    out = {}
    out.update(params0)
    out["inputs"], out["targets"] = x.numpy().astype(np.int64), y.numpy().astype(np.int64)
    out["h0"], out["c0"] = f32(h0), f32(c0)

    logits, loss, (hT, cT) = model(x, y, (h0, c0))
    loss.backward()
    out["logits"], out["hT"], out["cT"] = f32(logits), f32(hT), f32(cT)
    out["loss"] = np.array([loss.item()], dtype=np.float32)
    for name, p in model.named_parameters():
        out["grad." + name] = f32(p.grad)
    out["grad.h0"], out["grad.c0"] = f32(h0.grad), f32(c0.grad)

    # Truncated BPTT: the next batch starts from the detached final state of the first.
    with torch.no_grad():
        _, loss2, (hT2, cT2) = model(x2, y2, (hT.detach(), cT.detach()))
    out["inputs2"], out["targets2"] = x2.numpy().astype(np.int64), y2.numpy().astype(np.int64)
    out["loss2"] = np.array([loss2.item()], dtype=np.float32)
    out["hT2"], out["cT2"] = f32(hT2), f32(cT2)

    # Adam steps on the same batch from the same (h0, c0).
    opt = torch.optim.Adam(model.parameters(), lr=ADAM["lr"], betas=(ADAM["beta1"], ADAM["beta2"]), eps=ADAM["eps"])
    losses = []
    state0 = (h0.detach(), c0.detach())
    for _ in range(ADAM["steps"]):
        opt.zero_grad(set_to_none=True)
        _, loss_s, _ = model(x, y, state0)
        loss_s.backward()
        opt.step()
        losses.append(loss_s.item())
    out["adam.losses"] = np.array(losses, dtype=np.float32)
    for k, v in model.state_dict().items():
        out["adam." + k] = f32(v)

    config = {"model": "lstm", "vocab_size": V, "embd": E, "hidden": H, "layers": L, "dropout": 0.0,
              "tie_weights": False, "batch": B, "seq_len": T, "seed": SEED}
    metadata = {"format": "pluma-lstm-reference-1", "config": json.dumps(config), "adam": json.dumps(ADAM),
                "torch": torch.__version__, "dtype": "computed in float64, stored as float32"}
    write_safetensors(args.out, out, metadata)
    print(f"wrote {os.path.normpath(args.out)}: loss {loss.item():.6f} loss2 {loss2.item():.6f} "
          f"adam losses {[round(v, 6) for v in losses]}")


if __name__ == "__main__":
    main()
