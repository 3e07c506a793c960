#!/usr/bin/python3
"""Loss of a pluma char-level LSTM checkpoint over the whole validation split, measured exactly as
../shared/anchors/pytorch/lstm_char.py measures its own model ("final_val_loss_full_split": every
non-overlapping window of --seq-len characters of the last 10% of tiny Shakespeare, each from a zero state).
The pluma weights are loaded into the anchor's own CharLSTM, so the two figures share one evaluation.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/reference/lstm_full_val.py \\
        CHECKPOINT.pluma [--seq-len 64] [--anchors ../shared/anchors/pytorch]

pluma's char ids are the anchor's plus 4 (<pad> <unk> <sos> <eos> come first; both sort the characters).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import read_pluma  # noqa: E402

SPECIALS = 4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--anchors", default=os.path.join(HERE, "..", "..", "..", "shared", "anchors", "pytorch"))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.anchors))
    import common  # noqa: E402
    from lstm_char import CharLSTM  # noqa: E402

    torch.set_num_threads(a.threads)
    meta, tensors = read_pluma.load(a.checkpoint)
    cfg = json.loads(meta["config"])
    tok = json.loads(meta["tokenizer"])
    if cfg.get("kind") != "lstm" or tok.get("kind") != "char":
        sys.exit("%s: not a char-level LSTM checkpoint (model %s, tokenizer %s)" % (a.checkpoint, cfg.get("kind"),
                                                                                   tok.get("kind")))
    d = common.load_char_data()
    if d["vocab_size"] + SPECIALS != cfg["vocab_size"]:
        sys.exit("vocabulary mismatch: the checkpoint has %d ids, the corpus %d characters + %d specials"
                 % (cfg["vocab_size"], d["vocab_size"], SPECIALS))
    model = CharLSTM({"vocab_size": cfg["vocab_size"], "emb": cfg["embd"] or cfg["hidden"], "hidden": cfg["hidden"],
                      "layers": cfg["layers"], "dropout": 0.0})
    state = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()
             if not k.startswith("optimizer.") and k != "tokenizer" and not k.startswith("state.")}
    if cfg.get("tie_weights"):
        state["head.weight"] = state["emb.weight"]
    model.load_state_dict(state, strict=True)
    val = d["val"] + SPECIALS
    chunks, n_tok = common.full_split_chunks(val, a.seq_len, 256)
    model.eval()
    with torch.no_grad():
        total = sum(model(x, y)[1].item() * y.numel() for x, y in chunks)
    print(json.dumps({"checkpoint": a.checkpoint, "val_loss_full_split": round(total / n_tok, 4), "tokens": n_tok,
                      "windows_of": a.seq_len}))


if __name__ == "__main__":
    main()
