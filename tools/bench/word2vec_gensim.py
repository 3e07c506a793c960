"""One gensim Word2Vec run for bench_word2vec.py: trains on a prepared corpus (one sentence per line,
words split on whitespace), writes the vectors in word2vec's text format, prints one JSON line
with the training seconds (vocabulary building excluded, as in pluma's figure)."""
import argparse
import json
import time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence

ap = argparse.ArgumentParser()
ap.add_argument("--input", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--sg", type=int, required=True)
ap.add_argument("--mode", choices=["lines", "corpus_file"], default="lines")
ap.add_argument("--dim", type=int, default=100)
ap.add_argument("--window", type=int, default=5)
ap.add_argument("--negative", type=int, default=5)
ap.add_argument("--min-count", type=int, default=5)
ap.add_argument("--sample", type=float, default=1e-3)
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()

m = Word2Vec(vector_size=a.dim, window=a.window, negative=a.negative, hs=0, min_count=a.min_count,
             sample=a.sample, sg=a.sg, cbow_mean=1, alpha=0.025, min_alpha=0.0001, workers=a.threads,
             seed=a.seed)
if a.mode == "lines":
    m.build_vocab(corpus_iterable=LineSentence(a.input))
else:
    m.build_vocab(corpus_file=a.input)
t0 = time.perf_counter()
if a.mode == "lines":
    m.train(corpus_iterable=LineSentence(a.input), total_examples=m.corpus_count, epochs=a.epochs)
else:
    m.train(corpus_file=a.input, total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=a.epochs)
sec = time.perf_counter() - t0
m.wv.save_word2vec_format(a.out)
words = m.corpus_total_words * a.epochs
print(json.dumps({"words": words, "vocab": len(m.wv), "seconds": sec, "words_per_s": words / sec}))
