"""What the reference timing scripts share: the anchors' folder (../shared/anchors/pytorch, or $PLUMA_ANCHORS)
on the import path, and the anchor's GPT (gpt_char.GPT: biases on, no dropout) at a shape given on the
command line."""
import os
import sys

ANCHORS = os.environ.get("PLUMA_ANCHORS", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "..", "..", "..", "shared", "anchors", "pytorch"))
sys.path.insert(0, ANCHORS)
from gpt_char import GPT  # noqa: E402


def add_shape_args(ap, layers, heads, embd, context):
    """--layers --heads --embd --context --vocab --threads, with these defaults (vocab 65: tinyshakespeare)."""
    ap.add_argument("--layers", type=int, default=layers)
    ap.add_argument("--heads", type=int, default=heads)
    ap.add_argument("--embd", type=int, default=embd)
    ap.add_argument("--context", type=int, default=context)
    ap.add_argument("--vocab", type=int, default=65)
    ap.add_argument("--threads", type=int, default=2)


def make_gpt(a):
    return GPT(dict(n_layer=a.layers, n_head=a.heads, n_embd=a.embd, block_size=a.context, bias=True, dropout=0.0,
                    vocab_size=a.vocab))
