"""make bench: pluma against the PyTorch reference on this machine, in one run, same thread count.
Each pair is interleaved (pluma, PyTorch, pluma, PyTorch, ...) because this VM's speed drifts over
tens of seconds. Writes docs/BENCHMARKS.md's generated section and prints the table.
Run with /usr/bin/python3 (Debian's python3-torch); see tools/bench/run-bench."""
import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import (ANCHORS, ROOT, TORCH_ENV, gpt_train_flops, json_lines, last_json,  # noqa: E402
                          lstm_train_flops, machine_peaks, of_peak, pluma_train_tps, run)


def fmt(x, nd=1):
    return "—" if x is None else f"{x:,.{nd}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--baby-repeats", type=int, default=5)
    ap.add_argument("--gpt-iters", type=int, default=300)
    ap.add_argument("--lstm-iters", type=int, default=60)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    a = ap.parse_args()
    pluma = os.path.join(a.build, "pluma")
    th = a.threads
    rows = []   # (what, pluma figure, pytorch figure, pluma GFLOP/s and share of the peak, ratio (pluma/PyTorch), target)
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        renv = dict(TORCH_ENV, ANCHOR_RESULTS=tmp)

        # --- the machine's peaks (bench_peak), measured now: the denominators of the training rows ----------
        peaks = machine_peaks(a.build, th)
        for key, what in (("fma_fp32", "peak fp32: 512-bit FMAs from registers"),
                          ("dpbf16", "peak bf16: vdpbf16ps from registers"),
                          ("gemm_fp32", "peak fp32 GEMM: oneDNN 2048³"),
                          ("gemm_bf16", "peak bf16 GEMM: oneDNN 2048³, bf16 operands in memory")):
            if key in peaks:
                rows.append((what, f"{peaks[key]:.0f} GFLOP/s", "", "", "", ""))
        peak32, peak16 = peaks.get("gemm_fp32"), peaks.get("gemm_bf16")
        notes.append("GFLOP/s of a training row: the step's model FLOPs (forward and backward of every matmul and of "
                     "causal attention's products; tools/bench/bench_common.py) over its time, and their share of the "
                     "measured GEMM peak of its precision (fp32 rows: the fp32 GEMM; --precision bf16 rows: the bf16 GEMM).")

        # --- op microbenchmarks -------------------------------------------------------------------------
        out, _, _ = run([os.path.join(a.build, "bench_ops"), str(th)])
        ops = json_lines(out)
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

        # --- GPT baby: training ms/iter, interleaved; the ratio is the median of the pairs' ratios ---------
        # (this VM flips between a quick and a slow state for minutes at a time: a pair is run within one
        # minute, so its ratio compares like with like more often than the ratio of two medians does)
        pl, pl16, pt, rss_pl, rss_pt = [], [], [], [], []
        for _ in range(a.baby_repeats):
            tps, rss, _ = pluma_train_tps(pluma, ["--preset", "baby", "--iters", str(a.gpt_iters), "--eval-interval", "100000"], tmp, th)
            pl.append(768 / tps * 1e3)
            rss_pl.append(rss)
            tps, _, _ = pluma_train_tps(pluma, ["--preset", "baby", "--iters", str(a.gpt_iters), "--eval-interval", "100000",
                                               "--precision", "bf16"], tmp, th)
            pl16.append(768 / tps * 1e3)
            out, _, rss = run(["/usr/bin/python3", os.path.join(ANCHORS, "gpt_char.py"), "--threads", str(th),
                               "--max-iters", str(a.gpt_iters), "--save", os.path.join(tmp, "baby_gpt.pt")], env=renv, cwd=ANCHORS)
            pt.append(last_json(out)["ms_per_iter_median"])
            rss_pt.append(rss)
        ms_pl, ms_pt = statistics.median(pl), statistics.median(pt)
        baby_flops = gpt_train_flops(4, 128, 64, 65, 768)
        pairs32 = sorted(t / p for p, t in zip(pl, pt))
        pairs16 = sorted(t / p for p, t in zip(pl16, pt))
        rows.append(("GPT baby training (4L/4H/128, B12 T64)", f"{ms_pl:.1f} ms/iter", f"{ms_pt:.1f} ms/iter",
                     of_peak(baby_flops, ms_pl / 1e3, peak32), f"{statistics.median(pairs32):.2f}×", "≥ 2.7×"))
        ms16 = statistics.median(pl16)
        rows.append(("GPT baby training, pluma --precision bf16 (PyTorch fp32)", f"{ms16:.1f} ms/iter", f"{ms_pt:.1f} ms/iter",
                     of_peak(baby_flops, ms16 / 1e3, peak16), f"{statistics.median(pairs16):.2f}×", "≥ 3.5×"))
        notes.append(f"GPT baby training: {a.baby_repeats} interleaved pairs (pluma fp32, pluma bf16, PyTorch); its ratio is "
                     "the median of the pairs' ratios (fp32: " + ", ".join(f"{r:.2f}" for r in pairs32) +
                     "; bf16: " + ", ".join(f"{r:.2f}" for r in pairs16) + "), its times the medians of each side.")
        rows.append(("GPT baby training peak RSS", f"{max(rss_pl):.0f} MiB", f"{max(rss_pt):.0f} MiB", "",
                     f"{max(rss_pt) / max(rss_pl):.2f}×", "≤ PyTorch's"))

        # --- GPT shakespeare-char shape: ms/iter (dropout 0 on both sides for a like-for-like step) ---------
        pl, pl16, pt = [], [], []
        for _ in range(a.repeats):
            sc = ["--preset", "shakespeare-char", "--dropout", "0", "--iters", "30", "--eval-interval", "100000",
                  "--eval-iters", "1"]
            tps, _, _ = pluma_train_tps(pluma, sc, tmp, th)
            pl.append(64 * 256 / tps * 1e3)
            tps, _, _ = pluma_train_tps(pluma, sc + ["--precision", "bf16"], tmp, th)
            pl16.append(64 * 256 / tps * 1e3)
            out, _, _ = run(["/usr/bin/python3", os.path.join(ROOT, "tools", "reference", "gpt_shape_time.py"),
                             "--threads", str(th)], env=renv)
            pt.append(last_json(out)["ms_per_iter_median"])
        sc_flops = gpt_train_flops(6, 384, 256, 65, 64 * 256)
        rows.append(("GPT shakespeare-char training (6L/6H/384, B64 T256, dropout 0)", f"{statistics.median(pl):.0f} ms/iter",
                     f"{statistics.median(pt):.0f} ms/iter", of_peak(sc_flops, statistics.median(pl) / 1e3, peak32),
                     f"{statistics.median(pt) / statistics.median(pl):.2f}×", "≥ 2.5×"))
        rows.append(("GPT shakespeare-char training, pluma --precision bf16 (PyTorch fp32)", f"{statistics.median(pl16):.0f} ms/iter",
                     f"{statistics.median(pt):.0f} ms/iter", of_peak(sc_flops, statistics.median(pl16) / 1e3, peak16),
                     f"{statistics.median(pt) / statistics.median(pl16):.2f}×", "≥ 3.5×"))
        notes.append("--precision bf16: matmul operands rounded to bfloat16, products accumulated in fp32, weights, "
                     "gradients and AdamW in fp32. The baby recipe's loss curve is the fp32 one to 0.001 (val 1.8553 "
                     "against 1.8545 after 2000 iterations, docs/BENCHMARKS.md above).")

        # --- LSTM char-rnn: training ms/iter, interleaved (B 32, T 64, zero state per window, Adam, clip 5) ------
        lstm_cks = {}
        for layers, hidden, iters in ((2, 256, a.lstm_iters), (3, 512, max(20, a.lstm_iters // 3))):
            tag = f"{layers}x{hidden}"
            pl, pl16, pt, rss_pl, rss_pt = [], [], [], [], []
            for _ in range(a.repeats):
                ck = os.path.join(tmp, f"lstm_{tag}.pluma")
                lstm_args = ["--model", "lstm", "--layers", str(layers), "--hidden", str(hidden), "--context", "64",
                             "--batch", "32", "--sampler", "windows", "--dropout", "0", "--iters", str(iters),
                             "--eval-interval", "100000", "--eval-iters", "1"]
                tps, rss, _ = pluma_train_tps(pluma, lstm_args, tmp, th, out=ck)
                lstm_cks[tag] = ck
                pl.append(64 * 32 / tps * 1e3)
                rss_pl.append(rss)
                tps, _, _ = pluma_train_tps(pluma, lstm_args + ["--precision", "bf16"], tmp, th)
                pl16.append(64 * 32 / tps * 1e3)
                out, _, rss = run(["/usr/bin/python3", os.path.join(ANCHORS, "lstm_char.py"), "--threads", str(th),
                                   "--layers", str(layers), "--hidden", str(hidden), "--max-iters", str(iters),
                                   "--eval-interval", "100000", "--eval-iters", "1", "--full-val", "0",
                                   "--save", os.path.join(tmp, f"lstm_{tag}.pt")], env=renv, cwd=ANCHORS)
                pt.append(last_json(out)["ms_per_iter_median"])
                rss_pt.append(rss)
            ms_pl, ms_pt = statistics.median(pl), statistics.median(pt)
            rows.append((f"LSTM {tag} training (B32 T64)", f"{ms_pl:.1f} ms/iter", f"{ms_pt:.1f} ms/iter",
                         of_peak(lstm_train_flops(layers, hidden, hidden, 65, 64 * 32), ms_pl / 1e3, peak32),
                         f"{ms_pt / ms_pl:.2f}×", "≥ 2.0×" if hidden == 512 else "≥ 1.5×"))
            ms16 = statistics.median(pl16)
            rows.append((f"LSTM {tag} training, pluma --precision bf16 (PyTorch fp32)", f"{ms16:.1f} ms/iter",
                         f"{ms_pt:.1f} ms/iter",
                         of_peak(lstm_train_flops(layers, hidden, hidden, 65, 64 * 32), ms16 / 1e3, peak16),
                         f"{ms_pt / ms16:.2f}×", ""))
            rows.append((f"LSTM {tag} training peak RSS", f"{max(rss_pl):.0f} MiB", f"{max(rss_pt):.0f} MiB", "",
                         f"{max(rss_pt) / max(rss_pl):.2f}×", "≤ PyTorch's"))

        # --- the Multi30k translator: target tokens/s of training steps at the recipe's sizes, interleaved -------
        pl, pl16, pt = [], [], []
        s2s_args = ["--model", "seq2seq", "--preset", "multi30k", "--iters", "45", "--log-interval", "5"]
        for _ in range(a.repeats):
            pl.append(pluma_train_tps(pluma, s2s_args, tmp, th)[0])
            pl16.append(pluma_train_tps(pluma, s2s_args + ["--precision", "bf16"], tmp, th)[0])
            out, _, _ = run(["/usr/bin/python3", os.path.join(ROOT, "tools", "reference", "seq2seq_step_time.py"),
                             "--steps", "45", "--skip", "10", "--threads", str(th)], env=renv)
            pt.append(last_json(out)["tgt_tokens_per_s"])
        for label, tps in (("", pl), (", pluma --precision bf16 (PyTorch fp32)", pl16)):
            rows.append((f"seq2seq Multi30k training (bi-LSTM 256 / LSTM 512 + attention, batch 64){label}",
                         f"{statistics.median(tps):,.0f} tgt tok/s", f"{statistics.median(pt):,.0f} tgt tok/s", "",
                         f"{statistics.median(tps) / statistics.median(pt):.2f}×", "≥ 2.5×"))
        notes.append("seq2seq with --precision bf16 (the matmuls' operands in bfloat16, the LSTM cells, sums and Adam in fp32) "
                     "learns as fp32 does: after 3 epochs of Multi30k val loss 3.5882 and val BLEU 27.61 against fp32's 3.5868 "
                     "and 27.06 (docs/BENCHMARKS.md above).")

        # --- generation at batch 1, temperature 1 ----------------------------------------------------------
        ck = os.path.join(tmp, "baby.pluma")
        run([pluma, "train", "--preset", "baby", "--iters", "50", "--eval-interval", "100000", "--threads", str(th), "--out", ck])
        def gen_speed(checkpoint, precision="fp32"):
            """(tokens/s over 4999 tokens: wall(5000) - wall(1), start-up and loading left out;
                tokens/s of the whole process: 5000 / wall(5000); wall(1) in ms; peak RSS of the 5000-token run)"""
            def once(n):
                _, wall, rss = run([pluma, "generate", "--checkpoint", checkpoint, "--prompt", "\\n", "--max-new-tokens",
                                    str(n), "--ignore-eos", "--seed", "1", "--threads", str(th), "--precision", precision])
                return wall, rss
            rate, whole, start = [], [], []
            for _ in range(3):
                w_many, rss = once(5000)
                w1, _ = once(1)
                rate.append(4999 / max(w_many - w1, 1e-6))
                whole.append(5000 / w_many)
                start.append(w1 * 1e3)
            return statistics.median(rate), statistics.median(whole), statistics.median(start), rss
        gen = {"gpt": gen_speed(ck), "gpt/16": gen_speed(ck, "bf16")}
        for tag, c in lstm_cks.items():
            gen[tag], gen[tag + "/16"] = gen_speed(c), gen_speed(c, "bf16")
        # start-up alone: wall and peak RSS of one token (the baby GPT), median of 5
        starts = [run([pluma, "generate", "--checkpoint", ck, "--prompt", "\\n", "--max-new-tokens", "1", "--seed", "1",
                       "--threads", str(th)])[1:] for _ in range(5)]
        lstm_pts = [os.path.join(tmp, f"lstm_{tag}.pt") for tag in lstm_cks]
        out, _, rss_gpt_gen = run(["/usr/bin/python3", os.path.join(ANCHORS, "generate_speed.py"), "--threads", str(th),
                                   "--gpt", os.path.join(tmp, "baby_gpt.pt"), "--lstm", *lstm_pts], env=renv, cwd=ANCHORS)
        g = last_json(out)["by_threads"][str(th)]
        refs = {"gpt": g["gpt_kv"]["tokens_per_s_median"]}
        for tag in lstm_cks:
            refs[tag] = g.get(f"lstm_{tag}", {}).get("tokens_per_s_median")

        def gen_rows(label, key, ref, target_rate, target_whole):
            for suffix, k in (("", key), (", pluma --precision bf16 (PyTorch fp32)", key + "/16")):
                rate, whole, _, _ = gen[k]
                rows.append((f"{label}{suffix}", f"{rate:,.0f} tok/s", f"{ref:,.0f} tok/s" if ref else "", "",
                             f"{rate / ref:.1f}×" if ref else "", target_rate))
                rows.append((f"{label}{suffix}, whole process (5,000 tokens)", f"{whole:,.0f} tok/s",
                             f"{ref:,.0f} tok/s" if ref else "", "", f"{whole / ref:.1f}×" if ref else "", target_whole))
        gen_rows("GPT baby generation, batch 1, KV cache", "gpt", refs["gpt"], "≥ 5×", "≥ 10×")
        rows.append(("GPT baby generation peak RSS", f"{gen['gpt'][3]:.0f} MiB", f"{rss_gpt_gen:.0f} MiB", "",
                     f"{rss_gpt_gen / gen['gpt'][3]:.2f}×", "≤ PyTorch's"))
        rows.append(("`pluma generate --max-new-tokens 1` (baby): wall / peak RSS",
                     f"{1e3 * statistics.median(w for w, _ in starts):.0f} ms / {statistics.median(r for _, r in starts):.0f} MiB",
                     "", "", "", "≤ 30 ms / ≤ 64 MiB"))
        for tag in lstm_cks:
            gen_rows(f"LSTM {tag} generation, batch 1", tag, refs[tag], "≥ 5×", "≥ 5×" if tag == "2x256" else "")
        notes.append("Generation with --precision bf16: the matrices a step reads (a GPT's block and head matrices, an "
                     "LSTM's recurrent layers) in bfloat16 and their inputs rounded to it, sums in fp32 (AVX512-BF16 dot "
                     "products); everything else and the sampling in fp32.")
        notes.append("Generation: pluma's token rate is (wall(5000 tokens) - wall(1 token)) over 4999 tokens of `pluma generate` "
                     "(start-up and checkpoint loading left out); its whole-process rate is 5000 tokens over the whole "
                     "wall time of `pluma generate --max-new-tokens 5000` (start-up, loading and writing included). Text is "
                     "written to a pipe; --ignore-eos, so every run makes all its tokens, as the reference's loop. PyTorch's "
                     "figure is generate_speed.py's in-process loop (its interpreter and imports left out). The GPT window "
                     "slides as in the reference: at 64 positions the last 32 are prefilled again in one forward.")
        notes.append("Peak RSS is the process's maximum resident set (wait4), start-up included.")

    # The model name alone ("AMD EPYC") does not tell a VM's host CPUs apart: the family and model do
    # (AMD family 25 model 17 is Zen 4, family 26 Zen 5), and the peaks above move with them.
    info = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = info.get("model name", "unknown CPU")
    if "cpu family" in info and "model" in info:
        cpu += f", family {info['cpu family']} model {info['model']}"
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    table = [f"Measured {stamp} on {platform.node()} ({os.cpu_count()} × {cpu}), {th} threads, by `make bench` "
             f"(tools/bench/bench.py): pluma and PyTorch {a.repeats}× interleaved, medians.", "",
             "| benchmark | pluma | PyTorch 1.13 | pluma GFLOP/s, share of the GEMM peak | speed ratio (pluma/PyTorch) | target |",
             "|---|---|---|---|---|---|"]
    for what, p, t, g, r, target in rows:
        table.append(f"| {what} | {p} | {t or '—'} | {g or ''} | {r or '—'} | {target} |")
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
