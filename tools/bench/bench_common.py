"""What make bench's scripts share: running a program with its wall time and peak RSS, reading JSON lines,
timing `pluma train` from its metrics log, the FLOP counts of a training step, and the machine's peaks."""
import json
import os
import statistics
import subprocess
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANCHORS = os.path.join(ROOT, "..", "shared", "anchors", "pytorch")
# OpenBLAS must pick its AVX-512 kernels for the reference (see the anchors' README); only in these commands.
TORCH_ENV = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}


def run(cmd, env=None, cwd=None):
    """Runs cmd; returns (stdout, wall seconds, peak RSS in MiB of that process)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
    # wait4 gives this child's own rusage (peak RSS), unlike RUSAGE_CHILDREN's running maximum
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


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def pluma_train_tps(pluma, args, tmp, threads, out=None):
    """tokens/s of `pluma train args`: the median over the metrics log's windows after the first two."""
    metrics = os.path.join(tmp, "m.jsonl")
    if os.path.exists(metrics):
        os.remove(metrics)
    _, _, rss = run([pluma, "train", *args, "--threads", str(threads), "--metrics", metrics,
                     "--out", out or os.path.join(tmp, "bench.pluma")])
    recs = [json.loads(line) for line in open(metrics) if line.strip()]
    steps = [r for r in recs if "loss" in r and r.get("tokens_per_s", 0) > 0]
    tps = statistics.median([r["tokens_per_s"] for r in steps[2:]] or [r["tokens_per_s"] for r in steps])
    return tps, rss, recs


def gpt_train_flops(layers, width, context, vocab, tokens):
    """FLOPs of one GPT training step over `tokens` positions: forward + backward (3x the forward) of every
    matmul (qkv, projection, fc, fc projection per block, the tied head) and of causal attention's two
    products (a position attends to itself and the ones before it: (T+1)/2 on average)."""
    per_token = 2 * (12 * layers * width * width + width * vocab) + 2 * layers * width * (context + 1)
    return 3.0 * tokens * per_token


def lstm_train_flops(layers, embd, hidden, vocab, tokens):
    """FLOPs of one LSTM LM training step: forward + backward (3x) of the gate products and the head."""
    per_token, width_in = 0, embd
    for _ in range(layers):
        per_token += 2 * 4 * hidden * (width_in + hidden)
        width_in = hidden
    per_token += 2 * hidden * vocab
    return 3.0 * tokens * per_token


def machine_peaks(build, threads):
    """{"fma_fp32", "dpbf16", "gemm_fp32", "gemm_bf16"} GFLOP/s, measured by bench_peak on this machine now."""
    out, _, _ = run([os.path.join(build, "bench_peak"), str(threads)])
    return {r["peak"]: r["gflops"] for r in json_lines(out)}


def of_peak(flops, seconds, peak):
    """'123 GFLOP/s, 45% of <peak>' for a step of `flops` taking `seconds`."""
    g = flops / seconds * 1e-9
    return f"{g:.0f} GFLOP/s, {100 * g / peak:.0f}%" if peak else f"{g:.0f} GFLOP/s"
