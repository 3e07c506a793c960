"""word2vec: pluma embed train against gensim's Word2Vec (Debian python3-gensim) on this machine, in one
run, same corpus, same hyperparameters, same threads. Runs are interleaved (pluma, gensim, pluma, ...)
because this VM's speed drifts; only the ratios of one run mean much. Both models' vectors are scored
by the same evaluator (pluma embed eval, which reproduces gensim's evaluate_word_analogies) on
questions-words.txt: accuracy over the answered questions, and coverage.
The corpus is lowercased and cut into letter runs, one sentence per line, the same file for both.
Run with /usr/bin/python3: tools/bench/run-word2vec-bench [BUILD] [--reps N] [--corpus NAME ...]"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "..", "shared", "data")
GENSIM = os.path.join(os.path.dirname(__file__), "word2vec_gensim.py")
# Sections a small literary corpus can cover; the report lists them beside the whole test.
FOCUS = ["family", "gram2-opposite", "gram3-comparative", "gram5-present-participle", "gram7-past-tense",
         "gram8-plural", "gram9-plural-verbs"]


def prepare(src, dst):
    word = re.compile(r"[^\W\d_]+")
    n = 0
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for line in f:
            ws = word.findall(line.lower())
            if ws:
                g.write(" ".join(ws) + "\n")
                n += len(ws)
    return n


def run_json(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        return json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])


def evaluate(pluma, vectors, questions, threads):
    return run_json([pluma, "embed", "eval", "--vectors", vectors, "--questions", questions, "--json",
                     "--threads", str(threads)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--corpus", nargs="+", default=["shakespeare-complete"])
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--gensim-modes", nargs="+", default=["lines", "corpus_file"])
    a = ap.parse_args()
    pluma = os.path.join(a.build if os.path.isabs(a.build) else os.path.join(ROOT, a.build), "pluma")
    questions = os.path.join(DATA, "questions-words.txt")
    hp = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=a.epochs)
    print(f"# word2vec bench {datetime.date.today()} on {platform.node()} ({os.cpu_count()} CPUs), "
          f"threads {a.threads}, {hp}", flush=True)
    tmp = tempfile.mkdtemp(prefix="pluma_w2v_bench_")
    rows = []
    for corpus in a.corpus:
        src = os.path.join(DATA, corpus + ".txt")
        prep = os.path.join(tmp, corpus + ".prep.txt")
        nwords = prepare(src, prep)
        print(f"## {corpus}: {nwords} words after preparation", flush=True)
        for arch in ["skipgram", "cbow"]:
            runs = {}
            for rep in range(a.reps):
                tools = [("pluma", None)] + [("gensim-" + m, m) for m in a.gensim_modes]
                for name, mode in tools if rep % 2 == 0 else list(reversed(tools)):
                    out = os.path.join(tmp, f"{corpus}.{arch}.{name}.txt")
                    if mode is None:
                        r = run_json([pluma, "embed", "train", "--input", prep, "--out", out, "--model", arch,
                                      "--dim", str(hp["dim"]), "--window", str(hp["window"]),
                                      "--negative", str(hp["negative"]), "--min-count", str(hp["min_count"]),
                                      "--sample", str(hp["sample"]), "--epochs", str(hp["epochs"]),
                                      "--threads", str(a.threads), "--seed", str(rep + 1), "--quiet"])
                    else:
                        r = run_json(["/usr/bin/python3", GENSIM, "--input", prep, "--out", out,
                                      "--sg", "1" if arch == "skipgram" else "0", "--mode", mode,
                                      "--threads", str(a.threads), "--seed", str(rep + 1),
                                      "--epochs", str(hp["epochs"])])
                    ev = evaluate(pluma, out, questions, a.threads)
                    runs.setdefault(name, []).append((r, ev))
                    print(f"  {arch:8s} {name:18s} rep {rep}: {r['words_per_s']:>10.0f} words/s "
                          f"{r['seconds']:6.2f} s, accuracy {100 * ev['total']['accuracy']:.1f}% "
                          f"of {ev['total']['answered']} answered ({100 * ev['total']['coverage']:.1f}% coverage)",
                          flush=True)
            for name, rs in runs.items():
                wps = statistics.median(r["words_per_s"] for r, _ in rs)
                acc = statistics.mean(ev["total"]["accuracy"] for _, ev in rs)
                focus = {"correct": 0, "answered": 0}
                for _, ev in rs:
                    for s in ev["sections"]:
                        if s["section"] in FOCUS:
                            focus["correct"] += s["correct"] / len(rs)
                            focus["answered"] += s["answered"] / len(rs)
                secs = {s["section"]: s for s in rs[-1][1]["sections"]}
                rows.append(dict(corpus=corpus, arch=arch, tool=name, words_per_s=wps, accuracy=acc,
                                 answered=rs[-1][1]["total"]["answered"], asked=rs[-1][1]["total"]["asked"],
                                 coverage=rs[-1][1]["total"]["coverage"],
                                 focus_acc=focus["correct"] / max(1, focus["answered"]),
                                 focus_answered=round(focus["answered"]), sections=secs))
    print()
    print("| corpus | model | tool | words/s (median) | vs gensim lines | vs gensim corpus_file | accuracy (all answered) "
          "| answered / asked | accuracy, sections " + "+".join(s.replace("gram", "g").split("-")[0] for s in FOCUS) + " |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ref = {x["tool"]: x["words_per_s"] for x in rows if x["corpus"] == r["corpus"] and x["arch"] == r["arch"]}
        ratio = lambda k: f"{r['words_per_s'] / ref[k]:.2f}×" if k in ref else "–"
        print(f"| {r['corpus']} | {r['arch']} | {r['tool']} | {r['words_per_s']:,.0f} | {ratio('gensim-lines')} | "
              f"{ratio('gensim-corpus_file')} | {100 * r['accuracy']:.1f}% | {r['answered']} / {r['asked']} | "
              f"{100 * r['focus_acc']:.1f}% of {r['focus_answered']} |")
    print()
    print("Per-section (last rep), answered questions and accuracy:")
    for r in rows:
        covered = [f"{k} {v['correct']}/{v['answered']}" for k, v in r["sections"].items() if v["answered"]]
        print(f"  {r['corpus']} {r['arch']} {r['tool']}: " + ", ".join(covered))


if __name__ == "__main__":
    sys.exit(main())
