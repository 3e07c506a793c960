#!/usr/bin/env python3
"""gpu_table.py RESULTS: the Markdown table of tools/bench/gpu_bench.sh's results.jsonl (one JSON object a line,
{"tag": "<kind> <preset> <precision>", "result": {...}}), pluma against PyTorch eager on the same GPU."""
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
# MFU for every row against the card's datasheet bf16 peak, as the PyTorch rows report it
card_peak = next((r["result"].get("peak_tflops") for r in rows if r["tag"].startswith("torch")
                  and r["result"].get("peak_tflops")), None)
def key(tag):
    kind, preset, prec = tag.split()
    return preset, prec
eager = {key(r["tag"]): r["result"].get("tokens_per_s") for r in rows if r["tag"].startswith("torch-eager")}
print("| workload | implementation | matmul precision | ms/step | tokens/s | MFU (bf16 peak) | / torch eager, same precision |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    tag, res = r["tag"], r["result"]
    kind = tag.split()[0]
    if kind == "torch-train":
        print(f"| shakespeare-char train | torch compile bf16 | bf16 | | | | val {res.get('final_val_loss', 0):.4f} "
              f"in {res.get('wall_s', 0):.0f} s, 1.47 at iter {res.get('reached_target_at')} |")
        continue
    preset, prec = key(tag)
    tok = res.get("tokens_per_s") or 0.0
    ms = res.get("ms_per_step", res.get("step_ms", 0.0))
    peak = card_peak
    fpt = res.get("flops_per_token") or 0.0
    mfu = res.get("mfu")
    if mfu is None and peak:
        mfu = fpt * tok / (peak * 1e12)
    name = {"pluma-ops": "pluma, sum of op times (estimate)", "pluma": "pluma",
            "torch-eager": "torch eager", "torch-compile": "torch.compile"}.get(kind, kind)
    base = eager.get((preset, prec))
    ratio = f"{tok / base:.2f}" if base and kind != "torch-eager" else ""
    mfu_s = f"{100 * mfu:.1f}%" if mfu else ""
    print(f"| {preset} | {name} | {prec} | {ms:.2f} | {tok:,.0f} | {mfu_s} | {ratio} |")
