"""make bench: pluma against the PyTorch reference on this machine, in one run, same thread count.
Each pair is interleaved (pluma, PyTorch, pluma, PyTorch, ...) because this VM's speed drifts over
tens of seconds. Writes docs/BENCHMARKS.md's generated section and prints the table.
Run with /usr/bin/python3 (Debian's python3-torch); see tools/bench/run-bench."""
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
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANCHORS = os.path.join(ROOT, "..", "shared", "anchors", "pytorch")
# OpenBLAS must pick its AVX-512 kernels for the reference (see the anchors' README); only in these commands.
TORCH_ENV = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}


def run(cmd, env=None, cwd=None):
    """Runs cmd; returns (stdout, wall seconds, peak RSS in MiB of that process)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
    out, err = "", ""
    # wait4 gives this child's own rusage (peak RSS), unlike RUSAGE_CHILDREN's running maximum
    import threading
    chunks = {"out": [], "err": []}
    def pump(stream, key):
        for line in stream:
            chunks[key].append(line)
    ts = [threading.Thread(target=pump, args=(p.stdout, "out")), threading.Thread(target=pump, args=(p.stderr, "err"))]
    for t in ts:
        t.start()
    _, status, ru = os.wait4(p.pid, 0)
    for t in ts:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    out, err = "".join(chunks["out"]), "".join(chunks["err"])
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{err[-2000:]}")
    return out, wall, ru.ru_maxrss / 1024.0


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in output")


def pluma_train_ms(pluma, args, tmp, threads, out=None):
    """tokens/s: the median over the metrics log's windows (10 iterations each) after the first two."""
    metrics = os.path.join(tmp, "m.jsonl")
    if os.path.exists(metrics):
        os.remove(metrics)
    out, wall, rss = run([pluma, "train", *args, "--threads", str(threads), "--metrics", metrics,
                          "--out", out or os.path.join(tmp, "bench.pluma")])
    recs = [json.loads(l) for l in open(metrics) if l.strip()]
    steps = [r for r in recs if "loss" in r and r.get("tokens_per_s", 0) > 0]
    tps = statistics.median([r["tokens_per_s"] for r in steps[2:]] or [r["tokens_per_s"] for r in steps])
    return tps, rss, recs


def fmt(x, nd=1):
    return "—" if x is None else f"{x:,.{nd}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--gpt-iters", type=int, default=300)
    ap.add_argument("--lstm-iters", type=int, default=60)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    a = ap.parse_args()
    pluma = os.path.join(a.build, "pluma")
    th = a.threads
    rows = []   # (what, pluma figure, pytorch figure, unit, ratio (throughput pluma/pytorch), target)
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        renv = dict(TORCH_ENV, ANCHOR_RESULTS=tmp)

        # --- op microbenchmarks -------------------------------------------------------------------------
        out, _, _ = run([os.path.join(a.build, "bench_ops"), str(th)])
        ops = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        out, _, _ = run(["/usr/bin/python3", os.path.join(ANCHORS, "peak_gemm.py"), "--threads", str(th)], env=renv, cwd=ANCHORS)
        ref = last_json(out)
        peak = next(o["gflops"] for o in ops if o["shape"].startswith("square"))
        ref_sq = next((r["gflops_median"] for r in ref["square"] if r["M"] == 2048), None)
        for o in ops:
            is_sq = o["shape"].startswith("square")
            rows.append((f"op {o['op']} {o['shape']}", f"{o['gflops']:.0f} GFLOP/s" if o["gflops"] else f"{o['ms']:.3f} ms",
                         f"{ref_sq:.0f} GFLOP/s" if is_sq and ref_sq else "", "",
                         f"{o['gflops'] / ref_sq:.2f}×" if is_sq and ref_sq else "",
                         f"{100 * o['gflops'] / peak:.0f}% of the 2048³ peak (≥ 80%)" if o["op"] == "matmul_fwd" and not is_sq else ""))
        notes.append("PyTorch GEMM at the models' shapes (peak_gemm.py, same run): " +
                     "; ".join(f"{m.get('label', '?')}: {m.get('gflops_median', '?')} GFLOP/s" for m in ref.get("model_shapes", []))[:900])

        # --- GPT baby: training ms/iter, interleaved ------------------------------------------------------
        pl, pl16, pt, rss_pl, rss_pt = [], [], [], [], []
        for _ in range(a.repeats):
            tps, rss, _ = pluma_train_ms(pluma, ["--preset", "baby", "--iters", str(a.gpt_iters), "--eval-interval", "100000"], tmp, th)
            pl.append(768 / tps * 1e3)
            rss_pl.append(rss)
            tps, _, _ = pluma_train_ms(pluma, ["--preset", "baby", "--iters", str(a.gpt_iters), "--eval-interval", "100000",
                                               "--precision", "bf16"], tmp, th)
            pl16.append(768 / tps * 1e3)
            out, _, rss = run(["/usr/bin/python3", os.path.join(ANCHORS, "gpt_char.py"), "--threads", str(th),
                               "--max-iters", str(a.gpt_iters), "--save", os.path.join(tmp, "baby_gpt.pt")], env=renv, cwd=ANCHORS)
            pt.append(last_json(out)["ms_per_iter_median"])
            rss_pt.append(rss)
        ms_pl, ms_pt = statistics.median(pl), statistics.median(pt)
        rows.append(("GPT baby training (4L/4H/128, B12 T64)", f"{ms_pl:.1f} ms/iter", f"{ms_pt:.1f} ms/iter", "",
                     f"{ms_pt / ms_pl:.2f}×", "≥ 2.0×"))
        ms16 = statistics.median(pl16)
        rows.append(("GPT baby training, pluma --precision bf16 (PyTorch fp32)", f"{ms16:.1f} ms/iter", f"{ms_pt:.1f} ms/iter",
                     "", f"{ms_pt / ms16:.2f}×", "≥ 2.0×"))
        rows.append(("GPT baby training peak RSS", f"{max(rss_pl):.0f} MiB", f"{max(rss_pt):.0f} MiB", "",
                     f"{max(rss_pt) / max(rss_pl):.2f}×", "≤ PyTorch's"))

        # --- GPT shakespeare-char shape: ms/iter (dropout 0 on both sides for a like-for-like step) ---------
        pl, pl16, pt = [], [], []
        for _ in range(a.repeats):
            sc = ["--preset", "shakespeare-char", "--dropout", "0", "--iters", "30", "--eval-interval", "100000",
                  "--eval-iters", "1"]
            tps, _, _ = pluma_train_ms(pluma, sc, tmp, th)
            pl.append(64 * 256 / tps * 1e3)
            tps, _, _ = pluma_train_ms(pluma, sc + ["--precision", "bf16"], tmp, th)
            pl16.append(64 * 256 / tps * 1e3)
            out, _, _ = run(["/usr/bin/python3", os.path.join(ROOT, "tools", "reference", "gpt_shape_time.py"),
                             "--threads", str(th)], env=renv)
            pt.append(last_json(out)["ms_per_iter_median"])
        rows.append(("GPT shakespeare-char training (6L/6H/384, B64 T256, dropout 0)", f"{statistics.median(pl):.0f} ms/iter",
                     f"{statistics.median(pt):.0f} ms/iter", "", f"{statistics.median(pt) / statistics.median(pl):.2f}×", "≥ 2.0×"))
        rows.append(("GPT shakespeare-char training, pluma --precision bf16 (PyTorch fp32)", f"{statistics.median(pl16):.0f} ms/iter",
                     f"{statistics.median(pt):.0f} ms/iter", "", f"{statistics.median(pt) / statistics.median(pl16):.2f}×", "≥ 2.0×"))
        notes.append("--precision bf16: matmul operands rounded to bfloat16, products accumulated in fp32, weights, "
                     "gradients and AdamW in fp32. The baby recipe's loss curve is the fp32 one to 0.001 (val 1.8553 "
                     "against 1.8545 after 2000 iterations, docs/BENCHMARKS.md above).")

        # --- LSTM char-rnn: training ms/iter, interleaved (B 32, T 64, zero state per window, Adam, clip 5) ------
        lstm_cks = {}
        for layers, hidden, iters in ((2, 256, a.lstm_iters), (3, 512, max(20, a.lstm_iters // 3))):
            tag = f"{layers}x{hidden}"
            pl, pt, rss_pl, rss_pt = [], [], [], []
            for _ in range(a.repeats):
                ck = os.path.join(tmp, f"lstm_{tag}.pluma")
                tps, rss, _ = pluma_train_ms(pluma, ["--model", "lstm", "--layers", str(layers), "--hidden", str(hidden),
                                                     "--context", "64", "--batch", "32", "--sampler", "windows",
                                                     "--dropout", "0", "--iters", str(iters), "--eval-interval", "100000",
                                                     "--eval-iters", "1"], tmp, th, out=ck)
                lstm_cks[tag] = ck
                pl.append(64 * 32 / tps * 1e3)
                rss_pl.append(rss)
                out, _, rss = run(["/usr/bin/python3", os.path.join(ANCHORS, "lstm_char.py"), "--threads", str(th),
                                   "--layers", str(layers), "--hidden", str(hidden), "--max-iters", str(iters),
                                   "--eval-interval", "100000", "--eval-iters", "1", "--full-val", "0",
                                   "--save", os.path.join(tmp, f"lstm_{tag}.pt")], env=renv, cwd=ANCHORS)
                pt.append(last_json(out)["ms_per_iter_median"])
                rss_pt.append(rss)
            ms_pl, ms_pt = statistics.median(pl), statistics.median(pt)
            rows.append((f"LSTM {tag} training (B32 T64)", f"{ms_pl:.1f} ms/iter", f"{ms_pt:.1f} ms/iter", "",
                         f"{ms_pt / ms_pl:.2f}×", "≥ 1.5×"))
            rows.append((f"LSTM {tag} training peak RSS", f"{max(rss_pl):.0f} MiB", f"{max(rss_pt):.0f} MiB", "",
                         f"{max(rss_pt) / max(rss_pl):.2f}×", "≤ PyTorch's"))

        # --- generation at batch 1, temperature 1 ----------------------------------------------------------
        ck = os.path.join(tmp, "baby.pluma")
        run([pluma, "train", "--preset", "baby", "--iters", "50", "--eval-interval", "100000", "--threads", str(th), "--out", ck])
        def gen_speed(checkpoint, precision="fp32"):
            """tokens/s over 4999 tokens: wall(5000 tokens) - wall(1 token), which leaves out start-up and loading.
            (500 tokens take 8-30 ms here, too close to the noise of starting a process.)"""
            def once(n):
                _, wall, rss = run([pluma, "generate", "--checkpoint", checkpoint, "--prompt", "\\n", "--max-new-tokens",
                                    str(n), "--ignore-eos", "--seed", "1", "--threads", str(th), "--precision", precision])
                return wall, rss
            speeds = []
            for _ in range(3):
                w_many, rss = once(5000)
                w1, _ = once(1)
                speeds.append(4999 / max(w_many - w1, 1e-6))
            return statistics.median(speeds), rss
        gen_pl, rss_gen = gen_speed(ck)
        lstm_gen = {tag: gen_speed(c) for tag, c in lstm_cks.items()}
        lstm_gen16 = {tag: gen_speed(c, "bf16") for tag, c in lstm_cks.items()}
        lstm_pts = [os.path.join(tmp, f"lstm_{tag}.pt") for tag in lstm_cks]
        out, _, rss_gpt_gen = run(["/usr/bin/python3", os.path.join(ANCHORS, "generate_speed.py"), "--threads", str(th),
                                   "--gpt", os.path.join(tmp, "baby_gpt.pt"), "--lstm", *lstm_pts], env=renv, cwd=ANCHORS)
        g = last_json(out)["by_threads"][str(th)]
        gen_pt = g["gpt_kv"]["tokens_per_s_median"]
        rows.append(("GPT baby generation, batch 1, KV cache", f"{gen_pl:,.0f} tok/s", f"{gen_pt:,.0f} tok/s", "",
                     f"{gen_pl / gen_pt:.1f}×", "≥ 5×"))
        rows.append(("GPT baby generation peak RSS", f"{rss_gen:.0f} MiB", f"{rss_gpt_gen:.0f} MiB", "",
                     f"{rss_gpt_gen / rss_gen:.2f}×", "≤ PyTorch's"))
        for tag, (speed, _) in lstm_gen.items():
            ref = g.get(f"lstm_{tag}", {}).get("tokens_per_s_median")
            rows.append((f"LSTM {tag} generation, batch 1", f"{speed:,.0f} tok/s",
                         f"{ref:,.0f} tok/s" if ref else "", "", f"{speed / ref:.1f}×" if ref else "", "≥ 5×"))
            speed16 = lstm_gen16[tag][0]
            rows.append((f"LSTM {tag} generation, pluma --precision bf16 (PyTorch fp32)", f"{speed16:,.0f} tok/s",
                         f"{ref:,.0f} tok/s" if ref else "", "", f"{speed16 / ref:.1f}×" if ref else "", "≥ 5×"))
        notes.append("LSTM generation with --precision bf16: the weights of the recurrent layers in bfloat16 and the "
                     "layer inputs rounded to it, sums in fp32 (AVX512-BF16 dot products); the head and sampling in fp32.")
        notes.append("Generation: pluma's figure is (wall(5000 tokens) - wall(1 token)) over 4999 tokens of `pluma generate` "
                     "(start-up and checkpoint loading left out; text written to a pipe; --ignore-eos, so every run makes all "
                     "its tokens, as the reference's loop; 500 tokens last only 8-30 ms, within process start-up noise); PyTorch's is generate_speed.py's "
                     "in-process loop. The GPT window slides as in the reference: at 64 positions the last 32 are "
                     "prefilled again in one forward.")
        notes.append("Peak RSS is the process's maximum resident set (wait4), start-up included: a pluma built with the "
                     "CUDA backend maps the CUDA libraries even for CPU work (about 200 MiB of it).")

    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    table = [f"Measured {stamp} on {platform.node()} ({os.cpu_count()} × {cpu}), {th} threads, by `make bench` "
             f"(tools/bench/bench.py): pluma and PyTorch {a.repeats}× interleaved, medians.", "",
             "| benchmark | pluma | PyTorch 1.13 | speed ratio (pluma/PyTorch) | target |", "|---|---|---|---|---|"]
    for what, p, t, _, r, target in rows:
        table.append(f"| {what} | {p} | {t or '—'} | {r or '—'} | {target} |")
    table += ["", *[f"- {n}" for n in notes]]
    text = "\n".join(table)
    print(text)
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    doc = open(a.out).read() if os.path.exists(a.out) else "# Benchmarks\n\n" + begin + "\n" + end + "\n"
    if begin not in doc:
        doc += "\n" + begin + "\n" + end + "\n"
    pre, rest = doc.split(begin, 1)
    post = rest.split(end, 1)[1]
    open(a.out, "w").write(pre + begin + "\n" + text + "\n" + end + post)


if __name__ == "__main__":
    main()
