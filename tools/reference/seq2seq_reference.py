#!/usr/bin/python3
"""Writes tests/fixtures/seq2seq_reference.pluma: a tiny attention seq2seq built with PyTorch and the numbers
pluma's seq2seq model and its decoders must reproduce (tests/test_seq2seq.cpp).

Model: the structure of ../shared/anchors/pytorch/seq2seq_multi30k.py (state_dict names included), with
separate source and target vocabularies: src_emb (Vs, E), tgt_emb (V, E) (padding_idx 0), a bidirectional
nn.LSTM encoder (enc_layers, packed sequences), bridge h0 = tanh(W_h [h_fw; h_bw] + b), c0 = W_c [c_fw; c_bw] + b,
an LSTMCell decoder with input feeding, Luong "general" attention with padding masked, attentional vector
tanh(W_o [ctx; h]) (no bias), untied output projection with bias. Dropout 0. When the anchor script is found,
its Seq2Seq is given the same weights (with Vs = V) and must produce the same logits and decodes.

Sizes: Vs=13, V=11, E=6, He=5 per direction, 2 encoder layers, Hd=7; a batch of B=4 pairs with source
lengths 6, 3, 5, 1 and target lengths 4, 2, 5, 1 (so T = 6 with <sos>/<eos>). PyTorch default init (seed 1234),
then every parameter is scaled by SHARPEN (decodes that depend on the source), the output biases of <pad>, <unk>,
<sos> lowered and that of <eos> shifted by EOS_BIAS, so that the decoders finish at different lengths (some at
max_len); the script refuses near ties (float32 must reach the same decodes).
Computed in float64 (the oracle), stored as float32; ids as int64.

Tensors (safetensors layout: 8-byte little-endian header length, JSON header, raw data):
  <param>                  every parameter under its state_dict name
  src (B, S), src_len (B), tgt_in (B, T), tgt_out (B, T)   pad 0, sos 2, eos 3
  logits (B, T, V)         teacher-forced
  loss (1)                 mean label-smoothed (0.1) cross-entropy over non-pad targets; nll (1) without smoothing
  grad.<param>             d loss / d param
  greedy (B, M)            greedy decodes (max_len M, no <eos>), -1 padded
  beam.tokens (B, K, M)    beam search (K beams, score = logp / len^0.6, len counting <eos>), the K best
                           finished hypotheses in order
  beam.scores (B, K)       their normalized scores
__metadata__: format, config (JSON, as seq2seq_config_to_json), decode (JSON: max_len, beam, alpha,
label_smoothing), torch version.

Run from the project root: /usr/bin/python3 tools/reference/seq2seq_reference.py [--out PATH]
"""
import argparse
import importlib.util
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, UNK, SOS, EOS = 0, 1, 2, 3
CONFIG = dict(kind="seq2seq", src_vocab_size=13, vocab_size=11, emb=6, enc_hidden=5, enc_layers=2,
              dec_hidden=7, dropout=0.0)
SRC_LENS = [6, 3, 5, 1]
TGT_LENS = [4, 2, 5, 1]
LABEL_SMOOTHING = 0.1
MAX_LEN, BEAM, ALPHA = 7, 3, 0.6
SEED = 1234
SHARPEN, EOS_BIAS = 3.0, -0.4
HERE = os.path.dirname(os.path.abspath(__file__))
ANCHOR = os.path.join(HERE, "..", "..", "..", "shared", "anchors", "pytorch", "seq2seq_multi30k.py")


class TinySeq2Seq(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        E, He, Hd = cfg["emb"], cfg["enc_hidden"], cfg["dec_hidden"]
        self.src_emb = nn.Embedding(cfg["src_vocab_size"], E, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(cfg["vocab_size"], E, padding_idx=PAD)
        self.encoder = nn.LSTM(E, He, num_layers=cfg["enc_layers"], bidirectional=True, batch_first=True)
        self.bridge_h = nn.Linear(2 * He, Hd)
        self.bridge_c = nn.Linear(2 * He, Hd)
        self.dec_cell = nn.LSTMCell(E + Hd, Hd)
        self.attn_W = nn.Linear(2 * He, Hd, bias=False)
        self.attn_out = nn.Linear(2 * He + Hd, Hd, bias=False)
        self.proj = nn.Linear(Hd, cfg["vocab_size"])
        self.Hd = Hd

    def encode(self, src, src_len):
        packed = nn.utils.rnn.pack_padded_sequence(self.src_emb(src), src_len, batch_first=True,
                                                   enforce_sorted=False)
        out, (h, c) = self.encoder(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        h0 = torch.tanh(self.bridge_h(torch.cat([h[-2], h[-1]], 1)))
        c0 = self.bridge_c(torch.cat([c[-2], c[-1]], 1))
        mask = (src == PAD)
        return out, self.attn_W(out), mask, h0, c0

    def step(self, y, h, c, feed, out, keys, mask):
        h, c = self.dec_cell(torch.cat([self.tgt_emb(y), feed], 1), (h, c))
        score = torch.bmm(keys, h.unsqueeze(2)).squeeze(2).masked_fill(mask, float("-inf"))
        a = torch.softmax(score, dim=1)
        ctx = torch.bmm(a.unsqueeze(1), out).squeeze(1)
        return h, c, torch.tanh(self.attn_out(torch.cat([ctx, h], 1)))

    def forward(self, src, src_len, tgt_in):
        out, keys, mask, h, c = self.encode(src, src_len)
        feed = out.new_zeros(src.size(0), self.Hd)
        feeds = []
        for t in range(tgt_in.size(1)):
            h, c, feed = self.step(tgt_in[:, t], h, c, feed, out, keys, mask)
            feeds.append(feed)
        return self.proj(torch.stack(feeds, 1))


@torch.no_grad()
def greedy(model, src, src_len, max_len, check_ties=True):
    out, keys, mask, h, c = model.encode(src, src_len)
    B = src.size(0)
    feed = out.new_zeros(B, model.Hd)
    y = torch.full((B,), SOS, dtype=torch.long)
    rows = [[] for _ in range(B)]
    done = [False] * B
    for _ in range(max_len):
        h, c, feed = model.step(y, h, c, feed, out, keys, mask)
        logits = model.proj(feed)
        top2 = logits.topk(2, dim=1).values
        if check_ties:   # the engine computes in float32: the fixture must not hinge on a near tie
            assert float((top2[:, 0] - top2[:, 1]).min()) > 1e-4, "greedy: near tie, pick another seed"
        y = logits.argmax(1)
        for b in range(B):
            if not done[b]:
                if int(y[b]) == EOS:
                    done[b] = True
                else:
                    rows[b].append(int(y[b]))
        if all(done):
            break
    return rows


@torch.no_grad()
def beam_search(model, src, src_len, max_len, K, alpha, check_ties=True):
    """Per sentence: K live beams; each step the 2K best expansions are taken; an <eos> among the best K
    finishes a hypothesis with score logp / (t+1)^alpha; the best K others continue. A sentence is done
    with K finished hypotheses; at max_len all its live beams finish with logp / max_len^alpha. Returns every
    finished hypothesis of each sentence, best first."""
    B = src.size(0)
    out, keys, mask, h, c = (x.repeat_interleave(K, 0) for x in model.encode(src, src_len))
    feed = out.new_zeros(B * K, model.Hd)
    y = torch.full((B * K,), SOS, dtype=torch.long)
    scores = torch.full((B, K), float("-inf"), dtype=out.dtype)
    scores[:, 0] = 0.0
    hist = [[] for _ in range(B * K)]
    finished = [[] for _ in range(B)]
    V = model.proj.out_features
    for t in range(max_len):
        h, c, feed = model.step(y, h, c, feed, out, keys, mask)
        cand = (scores.view(B * K, 1) + F.log_softmax(model.proj(feed), dim=-1)).view(B, K * V)
        cs, ci = cand.topk(2 * K, dim=1)
        gaps = (cs[:, :-1] - cs[:, 1:])[torch.isfinite(cs[:, 1:])]
        if check_ties:
            assert gaps.numel() == 0 or float(gaps.min()) > 1e-4, "beam: near tie, pick another seed"
        rows, ys, new_scores = [], [], []
        for b in range(B):
            live = []
            for j in range(2 * K):
                s, k, tok = float(cs[b, j]), int(ci[b, j]) // V, int(ci[b, j]) % V
                if not math.isfinite(s):
                    continue
                if tok == EOS:
                    if j < K and len(finished[b]) < K:
                        finished[b].append((s / (t + 1) ** alpha, hist[b * K + k]))
                elif len(live) < K:
                    live.append((s, k, tok))
            while len(live) < K:
                live.append((float("-inf"), 0, PAD))
            for s, k, tok in live:
                rows.append(b * K + k)
                ys.append(tok)
                new_scores.append(s)
        h, c, feed = h[rows], c[rows], feed[rows]
        hist = [hist[r] + [tok] for r, tok in zip(rows, ys)]
        y = torch.tensor(ys, dtype=torch.long)
        scores = torch.tensor(new_scores, dtype=out.dtype).view(B, K)
        if all(len(f) >= K for f in finished):
            break
    for b in range(B):
        if len(finished[b]) < K:
            for k in range(K):
                s = float(scores[b, k])
                if math.isfinite(s):
                    finished[b].append((s / len(hist[b * K + k]) ** alpha, hist[b * K + k]))
    return [sorted(f, key=lambda x: -x[0]) for f in finished]


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[arr.dtype]
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for blob in blobs:
            f.write(blob)


def make_batch(gen):
    Vs, V = CONFIG["src_vocab_size"], CONFIG["vocab_size"]
    S, T = max(SRC_LENS), max(TGT_LENS) + 1
    src = torch.full((len(SRC_LENS), S), PAD, dtype=torch.long)
    tgt_in = torch.full((len(SRC_LENS), T), PAD, dtype=torch.long)
    tgt_out = torch.full((len(SRC_LENS), T), PAD, dtype=torch.long)
    for b, (ls, lt) in enumerate(zip(SRC_LENS, TGT_LENS)):
        src[b, :ls] = torch.randint(4, Vs, (ls,), generator=gen)
        words = torch.randint(4, V, (lt,), generator=gen)
        tgt_in[b, 0] = SOS
        tgt_in[b, 1:lt + 1] = words
        tgt_out[b, :lt] = words
        tgt_out[b, lt] = EOS
    return src, torch.tensor(SRC_LENS), tgt_in, tgt_out


def check_against_anchor(model, src, src_len, tgt_in):
    """The anchor's Seq2Seq, given our weights with one shared vocabulary size, must agree."""
    if not os.path.exists(ANCHOR):
        print("anchor script not found; skipping the cross-check", file=sys.stderr)
        return
    sys.path.insert(0, os.path.dirname(ANCHOR))
    spec = importlib.util.spec_from_file_location("anchor_seq2seq", ANCHOR)
    anchor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(anchor)
    cfg = dict(CONFIG, src_vocab_size=CONFIG["vocab_size"])
    ours = TinySeq2Seq(cfg).double()
    theirs = anchor.Seq2Seq(dict(vocab_size=cfg["vocab_size"], emb=cfg["emb"], enc_hidden=cfg["enc_hidden"],
                                 enc_layers=cfg["enc_layers"], dec_hidden=cfg["dec_hidden"], dropout=0.0)).double()
    theirs.load_state_dict(ours.state_dict())
    ours.eval()
    theirs.eval()
    s = src.clamp(max=cfg["vocab_size"] - 1)
    with torch.no_grad():
        diff = (ours(s, src_len, tgt_in) - theirs(s, src_len, tgt_in)).abs().max().item()
    assert diff < 1e-12, f"anchor logits differ by {diff}"
    with torch.no_grad():
        assert greedy(ours, s, src_len, MAX_LEN, False) == theirs.greedy(s, src_len, MAX_LEN), "greedy differs"
        mine = [f[0][1] for f in beam_search(ours, s, src_len, MAX_LEN, BEAM, ALPHA, False)]
        assert mine == theirs.beam(s, src_len, MAX_LEN, K=BEAM, alpha=ALPHA), "beam differs from anchor"
    print(f"anchor cross-check: logits max diff {diff:.1e}; greedy and beam decodes identical", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "tests", "fixtures", "seq2seq_reference.pluma"))
    args = ap.parse_args()
    torch.manual_seed(SEED)
    model = TinySeq2Seq(CONFIG).double()
    with torch.no_grad():   # sharper, source-dependent decodes that never pick <pad>/<unk>/<sos>
        for p in model.parameters():
            p.mul_(SHARPEN)
        model.proj.bias[[PAD, UNK, SOS]] -= 4.0
        model.proj.bias[EOS] += EOS_BIAS
    gen = torch.Generator().manual_seed(SEED)
    src, src_len, tgt_in, tgt_out = make_batch(gen)

    logits = model(src, src_len, tgt_in)
    flat_logits, flat_tgt = logits.reshape(-1, CONFIG["vocab_size"]), tgt_out.reshape(-1)
    loss = F.cross_entropy(flat_logits, flat_tgt, ignore_index=PAD, label_smoothing=LABEL_SMOOTHING)
    nll = F.cross_entropy(flat_logits, flat_tgt, ignore_index=PAD)
    model.zero_grad()
    loss.backward()

    f32 = lambda t: t.detach().to(torch.float32).numpy()  # noqa: E731
    tensors = {name: f32(p) for name, p in model.named_parameters()}
    tensors.update(src=src.numpy(), src_len=src_len.numpy(), tgt_in=tgt_in.numpy(), tgt_out=tgt_out.numpy(),
                   logits=f32(logits), loss=f32(loss.reshape(1)), nll=f32(nll.reshape(1)))
    tensors.update({f"grad.{name}": f32(p.grad) for name, p in model.named_parameters()})

    model.eval()
    B = src.size(0)
    g = np.full((B, MAX_LEN), -1, dtype=np.int64)
    for b, row in enumerate(greedy(model, src, src_len, MAX_LEN)):
        g[b, :len(row)] = row
    bt = np.full((B, BEAM, MAX_LEN), -1, dtype=np.int64)
    bs = np.zeros((B, BEAM), dtype=np.float32)
    for b, hyps in enumerate(beam_search(model, src, src_len, MAX_LEN, BEAM, ALPHA)):
        assert len(hyps) >= BEAM
        for k, (score, toks) in enumerate(hyps[:BEAM]):
            bt[b, k, :len(toks)] = toks
            bs[b, k] = score
    tensors.update({"greedy": g, "beam.tokens": bt, "beam.scores": bs})
    check_against_anchor(model, src, src_len, tgt_in)

    meta = {"format": "pluma-1", "config": json.dumps(CONFIG),
            "decode": json.dumps(dict(max_len=MAX_LEN, beam=BEAM, alpha=ALPHA, label_smoothing=LABEL_SMOOTHING)),
            "torch": torch.__version__}
    write_safetensors(args.out, tensors, meta)
    print(f"wrote {args.out}: loss {loss.item():.6f} nll {nll.item():.6f}", file=sys.stderr)
    print("greedy:", g.tolist(), file=sys.stderr)
    print("beam:", bt[:, 0].tolist(), bs.tolist(), file=sys.stderr)


if __name__ == "__main__":
    main()
