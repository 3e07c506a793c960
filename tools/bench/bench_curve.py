"""make bench's curve: how the cost grows with the work, pluma against PyTorch 1.13 in one run.
  - GPT training, 4 layers, 64-wide heads, 2,048 tokens per step: widths 128/256/384/768 at context 256, and
    contexts 64/256/1024 at width 384 (batch 2048/context); ms/iter and the achieved GFLOP/s against the
    machine's measured GEMM peaks (bench_peak), pluma in fp32 and --precision bf16, PyTorch in fp32;
  - GPT generation (the baby's 4 layers of width 128) at contexts 64/256/1024: tokens/s, batch 1.
Draws docs/bench-curve-*.svg with `pluma plot --chart` and writes the table between <!-- curve:begin --> and
<!-- curve:end --> of docs/BENCHMARKS.md. Run with /usr/bin/python3 (Debian's python3-torch) through
tools/bench/run-bench (--curve) or alone: bench_curve.py --build build."""
import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import ROOT, TORCH_ENV, gpt_train_flops, last_json, machine_peaks, pluma_train_tps, run  # noqa: E402

TOKENS_PER_STEP = 2048
LAYERS = 4
VOCAB = 65   # tinyshakespeare's characters
WIDTHS = (128, 256, 384, 768)
CONTEXTS = (64, 256, 1024)
GEN_CONTEXTS = (64, 256, 1024)


def train_point(pluma, tmp, th, width, context, iters, repeats):
    """ms/iter medians over the repeats (interleaved): pluma fp32, pluma bf16, PyTorch fp32."""
    batch = TOKENS_PER_STEP // context
    heads = width // 64
    common = ["--data", "tinyshakespeare", "--layers", str(LAYERS), "--heads", str(heads), "--embd", str(width),
              "--context", str(context), "--batch", str(batch), "--dropout", "0", "--iters", str(iters),
              "--log-interval", "1", "--eval-interval", "100000", "--eval-iters", "1"]
    f32, b16, pt = [], [], []
    for _ in range(repeats):
        tps, _, _ = pluma_train_tps(pluma, common, tmp, th)
        f32.append(TOKENS_PER_STEP / tps * 1e3)
        tps, _, _ = pluma_train_tps(pluma, common + ["--precision", "bf16"], tmp, th)
        b16.append(TOKENS_PER_STEP / tps * 1e3)
        out, _, _ = run(["/usr/bin/python3", os.path.join(ROOT, "tools", "reference", "gpt_shape_time.py"),
                         "--layers", str(LAYERS), "--heads", str(heads), "--embd", str(width), "--context", str(context),
                         "--batch", str(batch), "--vocab", str(VOCAB), "--iters", str(iters), "--threads", str(th)],
                        env=TORCH_ENV)
        pt.append(last_json(out)["ms_per_iter_median"])
    return statistics.median(f32), statistics.median(b16), statistics.median(pt)


def gen_point(pluma, tmp, th, context, tokens, repeats):
    """tokens/s at batch 1 of the baby shape with this context: pluma fp32, pluma bf16 (wall(N) - wall(1)),
    PyTorch (the anchor's in-process loop)."""
    ck = os.path.join(tmp, f"gen_{context}.pluma")
    run([pluma, "train", "--data", "tinyshakespeare", "--layers", "4", "--heads", "4", "--embd", "128", "--context",
         str(context), "--batch", "2", "--iters", "1", "--eval-interval", "100000", "--eval-iters", "1", "--threads",
         str(th), "--out", ck])

    def rate(precision):
        def wall(n):
            return run([pluma, "generate", "--checkpoint", ck, "--prompt", "\\n", "--max-new-tokens", str(n),
                        "--ignore-eos", "--seed", "1", "--threads", str(th), "--precision", precision])[1]
        return statistics.median((tokens - 1) / max(wall(tokens) - wall(1), 1e-6) for _ in range(repeats))
    out, _, _ = run(["/usr/bin/python3", os.path.join(ROOT, "tools", "reference", "gpt_gen_time.py"), "--context",
                     str(context), "--tokens", str(tokens), "--repeats", str(repeats), "--threads", str(th)],
                    env=TORCH_ENV)
    return rate("fp32"), rate("bf16"), last_json(out)["tokens_per_s_median"]


def chart(pluma, path, title, x_label, y_label, series, log_y):
    """Writes the chart file beside `path` and draws it with pluma's own plotting; says so when it cannot."""
    spec = {"title": title, "x_label": x_label, "y_label": y_label, "log_x": True, "log_y": log_y,
            "series": [{"name": n, "points": pts, **extra} for n, pts, extra in series]}
    with open(path[:-4] + ".json", "w") as f:
        json.dump(spec, f, indent=1)
    try:
        run([pluma, "plot", "--chart", path[:-4] + ".json", "--out", path])
    except RuntimeError as e:
        print(f"bench_curve: {path} not drawn: {str(e).splitlines()[-1]}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--iters", type=int, default=6, help="training steps per run (the first two are left out)")
    ap.add_argument("--gen-tokens", type=int, default=2000)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    ap.add_argument("--svg-dir", default=os.path.join(ROOT, "docs"))
    a = ap.parse_args()
    pluma, th = os.path.join(a.build, "pluma"), a.threads
    peaks = machine_peaks(a.build, th)
    p32, p16 = peaks.get("gemm_fp32"), peaks.get("gemm_bf16")
    points = {}   # (width, context) -> (ms fp32, ms bf16, ms PyTorch)
    gens = {}     # context -> (tok/s fp32, bf16, PyTorch)
    with tempfile.TemporaryDirectory() as tmp:
        for w in WIDTHS:
            points[(w, 256)] = train_point(pluma, tmp, th, w, 256, a.iters, a.repeats)
            print(f"width {w}: {points[(w, 256)]}", file=sys.stderr, flush=True)
        for c in CONTEXTS:
            if (384, c) not in points:
                points[(384, c)] = train_point(pluma, tmp, th, 384, c, a.iters, a.repeats)
            print(f"context {c}: {points[(384, c)]}", file=sys.stderr, flush=True)
        for c in GEN_CONTEXTS:
            gens[c] = gen_point(pluma, tmp, th, c, a.gen_tokens, max(a.repeats, 3))
            print(f"generation, context {c}: {gens[c]}", file=sys.stderr, flush=True)
        peaks_after = machine_peaks(a.build, th)   # the machine may drift: both readings are reported

    def gflops(w, c, ms):
        return gpt_train_flops(LAYERS, w, c, VOCAB, TOKENS_PER_STEP) / (ms / 1e3) * 1e-9

    rows = ["| shape (4 layers, 2,048 tokens/step) | pluma fp32 | pluma bf16 | PyTorch fp32 | fp32 ratio | bf16 ratio |",
            "|---|---|---|---|---|---|"]
    for (w, c), (f, b, p) in sorted(points.items(), key=lambda kv: (kv[0][1] != 256, kv[0])):
        rows.append(f"| width {w}, context {c} | {f:.0f} ms ({gflops(w, c, f):.0f} GFLOP/s, {100 * gflops(w, c, f) / p32:.0f}%) "
                    f"| {b:.0f} ms ({gflops(w, c, b):.0f} GFLOP/s, {100 * gflops(w, c, b) / p16:.0f}%) "
                    f"| {p:.0f} ms ({gflops(w, c, p):.0f} GFLOP/s) | {p / f:.2f}× | {p / b:.2f}× |")
    rows += ["", "| generation (baby shape 4×128), context | pluma fp32 | pluma bf16 | PyTorch fp32 | fp32 ratio | bf16 ratio |",
             "|---|---|---|---|---|---|"]
    for c, (f, b, p) in sorted(gens.items()):
        rows.append(f"| {c} | {f:,.0f} tok/s | {b:,.0f} tok/s | {p:,.0f} tok/s | {f / p:.1f}× | {b / p:.1f}× |")
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    text = "\n".join([f"Measured {stamp}, {th} threads, by tools/bench/bench_curve.py ({a.repeats}× interleaved, "
                      f"{a.iters} steps per run, the first two left out). Peaks (bench_peak, before / after): fp32 GEMM "
                      f"{p32:.0f} / {peaks_after.get('gemm_fp32', 0):.0f} GFLOP/s, bf16 GEMM {p16:.0f} / "
                      f"{peaks_after.get('gemm_bf16', 0):.0f} GFLOP/s; percentages are of the first reading.", "", *rows])
    print(text)

    # (name, which points, their x, the x values, the x axis label)
    for name, keep, x_of, xs, label in (
            ("width", lambda w, c: c == 256, lambda w, c: w, WIDTHS, "width (channels), context 256"),
            ("context", lambda w, c: w == 384, lambda w, c: c, CONTEXTS, "context (tokens), width 384")):
        def curve(idx):
            return [[x_of(w, c), gflops(w, c, v[idx])] for (w, c), v in sorted(points.items()) if keep(w, c)]
        lo, hi = min(xs), max(xs)
        chart(pluma, os.path.join(a.svg_dir, f"bench-curve-train-{name}.svg"),
              f"GPT training ({LAYERS} layers, 2,048 tokens per step): achieved GFLOP/s", label, "GFLOP/s",
              [("pluma fp32", curve(0), {}), ("pluma bf16", curve(1), {}), ("PyTorch 1.13 fp32", curve(2), {}),
               ("fp32 GEMM peak", [[lo, p32], [hi, p32]], {"dots": False}),
               ("bf16 GEMM peak", [[lo, p16], [hi, p16]], {"dots": False})], log_y=False)
    chart(pluma, os.path.join(a.svg_dir, "bench-curve-generate.svg"),
          "GPT generation (4 layers, width 128), batch 1: tokens/s", "context (tokens)", "tokens/s",
          [("pluma fp32", [[c, v[0]] for c, v in sorted(gens.items())], {}),
           ("pluma bf16", [[c, v[1]] for c, v in sorted(gens.items())], {}),
           ("PyTorch 1.13 fp32", [[c, v[2]] for c, v in sorted(gens.items())], {})], log_y=True)

    begin, end = "<!-- curve:begin -->", "<!-- curve:end -->"
    doc = open(a.out).read()
    if begin not in doc:
        doc += "\n" + begin + "\n" + end + "\n"
    pre, rest = doc.split(begin, 1)
    open(a.out, "w").write(pre + begin + "\n" + text + "\n" + end + rest.split(end, 1)[1])


if __name__ == "__main__":
    main()
