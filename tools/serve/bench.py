"""pluma serve's speed (not a test): /api/probs latency (server compute time from the Server-Timing header, and
the round trip) with 1 and 8 concurrent clients, and /api/generate's tokens/s against `pluma generate`'s.

usage: python3 tools/serve/bench.py build/pluma CHECKPOINT [--threads N]"""
import argparse
import http.client
import json
import re
import statistics
import subprocess
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("pluma")
ap.add_argument("checkpoint")
ap.add_argument("--threads", default="2")
ap.add_argument("--requests", type=int, default=200)
ap.add_argument("--tokens", type=int, default=1000)
a = ap.parse_args()

server = subprocess.Popen([a.pluma, "serve", "--checkpoint", a.checkpoint, "--port", "0", "--threads", a.threads],
                          stdout=subprocess.PIPE, text=True)
port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))


def post(conn, path, body):
    t0 = time.perf_counter()
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    rt = time.perf_counter() - t0
    m = re.search(r"dur=([0-9.]+)", r.getheader("Server-Timing") or "")
    assert r.status == 200, data
    return rt * 1000, float(m.group(1)) if m else None, data


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def probs_load(clients):
    rts, cps = [], []
    lock = threading.Lock()
    per = a.requests // clients

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for k in range(per):
            rt, cp, _ = post(conn, "/api/probs", {"prompt": "En un lugar de la Mancha"[: 10 + (i + k) % 14], "top": 5, "depth": 2})
            with lock:
                rts.append(rt)
                cps.append(cp)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    print(f"/api/probs top 5 depth 2, {clients} client(s): round trip p50 {pct(rts, 50):.1f} ms p99 {pct(rts, 99):.1f} ms; "
          f"server compute p50 {pct(cps, 50):.1f} ms p99 {pct(cps, 99):.1f} ms; {len(rts) / wall:.0f} requests/s")


try:
    post(http.client.HTTPConnection("127.0.0.1", port), "/api/probs", {"prompt": "warm"})
    probs_load(1)
    probs_load(8)
    body = {"prompt": "Sancho", "seed": 1, "max_new_tokens": a.tokens, "ignore_eos": True}
    _, _, data = post(http.client.HTTPConnection("127.0.0.1", port), "/api/generate", body)
    done = json.loads(data.decode().split("event: done\ndata: ")[1])
    api_tps = done["tokens_per_second"]

    def cli(n):
        t0 = time.perf_counter()
        subprocess.run([a.pluma, "generate", "--checkpoint", a.checkpoint, "--threads", a.threads, "--prompt", "Sancho",
                        "--seed", "1", "--max-new-tokens", str(n), "--ignore-eos"], check=True, capture_output=True)
        return time.perf_counter() - t0

    n_small = max(1, a.tokens // 10)
    cli_tps = (a.tokens - n_small) / (cli(a.tokens) - cli(n_small))  # the difference removes start-up and loading
    print(f"generate {a.tokens} tokens: /api/generate {api_tps:.0f} tokens/s, pluma generate {cli_tps:.0f} tokens/s "
          f"(ratio {api_tps / cli_tps:.2f})")
finally:
    server.terminate()
    server.wait()
