#!/usr/bin/env bash
# gpu_bench.sh: the CUDA backend's checks and timings for one GPU session, prepared in advance.
#
#   bash tools/bench/gpu_bench.sh bundle     HERE, on the machine without a GPU: configure and build with
#                                            -DCMAKE_CUDA_ARCHITECTURES=90 into build-gpu/, then pack the GPU
#                                            programs, the shared libraries they need that a bare CUDA image
#                                            lacks (oneDNN, ...) and tiny Shakespeare into
#                                            build-gpu-bundle/bundle.tar.gz (ignored by git; carried).
#   bash tools/bench/gpu_bench.sh run [--quick] [--all] [--full-train] [--cpu-dry-run]
#                                            THERE, on the GPU machine: unpack the bundle (or, without one,
#                                            build in place), then
#                                              1. the device test and the CPU<->CUDA parity tests (every op case,
#                                                 multi-tile shapes, precisions; the whole GPT's loss, gradients,
#                                                 logits and AdamW step; KV-cache decoding),
#                                              2. cuda_ops_bench: every op at GPT-2-small and shakespeare-char
#                                                 shapes (fp32 and bf16 matmuls) against measured ceilings,
#                                              3. pluma's GPT training step on the GPU (gpt_cuda_bench),
#                                              4. the same models in PyTorch on the same GPU: eager fp32 and bf16
#                                                 (--all: tf32 too) and torch.compile bf16 (--quick: eager only),
#                                              5. --full-train: shakespeare-char trained to val loss 1.47 (PyTorch,
#                                                 and pluma when it trains on CUDA), with the wall time;
#                                            and prints a short table last. Everything goes to $OUT (logs,
#                                            results.jsonl, table.md: few files, as the device tool returns at
#                                            most 8). --cpu-dry-run checks the script itself on a machine
#                                            without a GPU (PyTorch on the CPU, tiny model).
#
# The device call: run(command="bash tools/bench/gpu_bench.sh run", carry=["build-gpu-bundle"], timeout_s=540).
# Every stage has its own time limit, so one stuck stage cannot eat the call. The card's settings are only
# read (nvidia-smi queries), never changed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUNDLE_DIR=$ROOT/build-gpu-bundle
BUNDLE=$BUNDLE_DIR/bundle.tar.gz
# the programs a GPU session needs (those present after the build are packed)
PROGRAMS="test_cuda_parity test_device cuda_ops_bench gpt_cuda_bench pluma"

die() { echo "gpu_bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------
bundle() {
  local build=${BUILD:-$ROOT/build-gpu} jobs=${JOBS:-2}
  command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || die "no nvcc here: bundle where the CUDA toolkit is"
  # portable code for the GPU machine's CPU (no -march=native), no MPI (its libraries are not there)
  cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 -DPLUMA_NATIVE=OFF \
        -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON >/dev/null || die "cmake configure failed"
  grep -q "PLUMA_HAVE_CUDA" "$build/CMakeFiles/pluma_lib.dir/flags.make" || die "the build has no CUDA backend"
  local targets=() p
  for p in $PROGRAMS; do
    # only targets this checkout defines (test_*.cpp and tools/bench/*.cpp become targets of their name)
    if [ -f "$ROOT/tests/$p.cpp" ] || [ -f "$ROOT/tools/bench/$p.cpp" ] || [ "$p" = pluma ]; then targets+=("$p"); fi
  done
  cmake --build "$build" -j "$jobs" --target "${targets[@]}" || die "build failed"
  local stage
  stage=$(mktemp -d)
  mkdir -p "$stage/bin" "$stage/lib" "$stage/data"
  for p in "${targets[@]}"; do cp "$build/$p" "$stage/bin/" && strip "$stage/bin/$p"; done
  # shared libraries outside the C/C++ runtime and the CUDA toolkit (which the GPU image has)
  local lib
  for lib in $(for p in "${targets[@]}"; do ldd "$build/$p"; done | awk '/=> \//{print $3}' | sort -u); do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) continue ;;
      libcuda.so*|libcudart.so*|libcublas.so*|libcublasLt.so*) continue ;;
    esac
    cp -L "$lib" "$stage/lib/"
  done
  local data=${PLUMA_DATA:-$ROOT/../shared/data}
  [ -f "$data/tinyshakespeare.txt" ] && cp "$data/tinyshakespeare.txt" "$stage/data/"
  {
    echo "commit $(git -C "$ROOT" rev-parse HEAD 2>/dev/null) $(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) uncommitted"
    echo "built $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n): CUDA arch 90, -O3, no -march=native, no MPI"
    /usr/local/cuda/bin/nvcc --version | tail -1
  } > "$stage/MANIFEST"
  mkdir -p "$BUNDLE_DIR"
  tar -C "$stage" -czf "$BUNDLE" . || die "packing failed"
  rm -rf "$stage"
  local size
  size=$(du -m "$BUNDLE" | cut -f1)
  echo "gpu_bench: $BUNDLE: ${size} MiB (programs: ${targets[*]})"
  [ "$size" -lt 56 ] || echo "gpu_bench: warning: the bundle is near the device tool's 64 MiB limit" >&2
}

# ---------------------------------------------------------------------------------------------------------
OUT=${OUT:-/tmp/pluma-gpu-out}
LOG=$OUT/bench.log
RESULTS=$OUT/results.jsonl
STATUS=$OUT/status.txt

# stage NAME SECONDS CMD...: runs CMD under a time limit, output appended to bench.log; records the outcome
stage() {
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS rc
  echo "===== $name: $*" >> "$LOG"
  timeout --kill-after=10 "$limit" "$@" >> "$LOG" 2>&1
  rc=$?
  local verdict=ok
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && verdict="TIMEOUT after ${limit}s"
  [ $rc -ne 0 ] && [ "$verdict" = ok ] && verdict="FAILED (exit $rc)"
  # a test program that found no GPU passed nothing: say so
  [ $rc -eq 0 ] && awk '/^===== /{s=0} /skipped: no CUDA device/{s=1} END{exit !s}' "$LOG" && verdict="SKIPPED (no GPU)"
  printf '%-44s %-22s %4ds\n' "$name" "$verdict" $((SECONDS - t0)) | tee -a "$STATUS"
  return $rc
}

# last JSON line of the last stage's output, tagged, into results.jsonl
keep_json() {
  local tag=$1 line
  line=$(awk '/^===== /{last=""} /^\{.*\}$/{last=$0} END{print last}' "$LOG")
  [ -n "$line" ] && echo "{\"tag\": \"$tag\", \"result\": $line}" >> "$RESULTS"
}

run() {
  local quick=0 all=0 full=0 dry=0 a
  for a in "$@"; do
    case $a in
      --quick) quick=1 ;;
      --all) all=1 ;;
      --full-train) full=1 ;;
      --cpu-dry-run) dry=1; quick=1; all=1 ;;
      *) die "unknown option '$a' (run [--quick] [--all] [--full-train] [--cpu-dry-run])" ;;
    esac
  done
  # --cpu-dry-run: the script's own logic on a machine without a GPU (PyTorch on the CPU at a tiny size)
  local presets="gpt2-small shakespeare-char" torch_extra=()
  [ $dry -eq 1 ] && presets=tiny && torch_extra=(--device cpu --steps 2 --warmup 1)
  mkdir -p "$OUT"
  : > "$LOG"; : > "$RESULTS"; : > "$STATUS"
  local work=/tmp/pluma-gpu bin lib data py
  py=${PYTHON:-$(command -v python3)}
  rm -rf "$work"; mkdir -p "$work"
  if [ -f "$BUNDLE" ]; then
    tar -C "$work" -xzf "$BUNDLE" || die "cannot unpack $BUNDLE"
    cat "$work/MANIFEST" | tee -a "$LOG"
  else
    echo "gpu_bench: no bundle: building here" | tee -a "$LOG"
    stage "build (no bundle)" 420 bash -c "cmake -S '$ROOT' -B '$work/build' -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON && cmake --build '$work/build' -j \$(nproc)" \
      || die "no bundle and no build: run 'bash tools/bench/gpu_bench.sh bundle' where the dependencies are"
    mkdir -p "$work/bin" "$work/data"
    for a in $PROGRAMS; do [ -x "$work/build/$a" ] && cp "$work/build/$a" "$work/bin/"; done
    [ -f "$ROOT/../shared/data/tinyshakespeare.txt" ] && cp "$ROOT/../shared/data/tinyshakespeare.txt" "$work/data/"
  fi
  bin=$work/bin; lib=$work/lib; data=$work/data
  # cuBLAS and the CUDA runtime: the image's toolkit, else the ones PyTorch's wheels bring
  local wheel_libs
  wheel_libs=$("$py" -c 'import os, importlib
for name in ("nvidia.cublas", "nvidia.cuda_runtime"):
    try:
        print(os.path.join(list(importlib.import_module(name).__path__)[0], "lib"), end=":")
    except Exception:
        pass' 2>/dev/null)
  # only pluma's programs see the carried libraries (PyTorch keeps its own)
  local P=(env "LD_LIBRARY_PATH=$lib:/usr/local/cuda/lib64:/usr/local/cuda/lib:${wheel_libs}${LD_LIBRARY_PATH:-}")
  export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-8} PLUMA_DATA=$data TINYSHAKESPEARE=$data/tinyshakespeare.txt

  stage "gpu (nvidia-smi, read only)" 30 nvidia-smi \
    --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,power.limit,temperature.gpu --format=csv
  stage "python3 + torch" 60 "$py" -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))'

  # 1. correctness first: every timing below is void if these fail
  # (a program that cannot start says why here: a missing library, or a C library older than the build's)
  stage "test_device" 60 "${P[@]}" "$bin/test_device"
  stage "test_cuda_parity (ops, GPT, KV cache)" 240 "${P[@]}" "$bin/test_cuda_parity"

  # 2. every op at the models' shapes
  local preset prec
  for preset in $presets; do
    [ $dry -eq 1 ] && echo "cuda_ops_bench: not run in a dry run" | tee -a "$STATUS" && break
    for prec in fp32 bf16; do
      stage "cuda_ops_bench $preset $prec" 120 "${P[@]}" "$bin/cuda_ops_bench" --preset "$preset" --precision "$prec" \
        && keep_json "pluma-ops $preset $prec"
    done
  done

  # 3. pluma's real training step on the GPU
  if [ $dry -eq 1 ]; then
    echo "gpt_cuda_bench: not run in a dry run" | tee -a "$STATUS"
  elif [ -x "$bin/gpt_cuda_bench" ]; then
    for preset in $presets; do
      for prec in fp32 bf16; do
        stage "gpt_cuda_bench $preset $prec" 150 "${P[@]}" "$bin/gpt_cuda_bench" --preset "$preset" --precision "$prec" \
          && keep_json "pluma $preset $prec"
      done
    done
  else
    echo "pluma GPT step on CUDA: no gpt_cuda_bench in this build" | tee -a "$STATUS"
  fi

  # 4. PyTorch on the same GPU
  local ref="$ROOT/tools/reference/gpt_gpu_reference.py"
  local torch_precisions="fp32 bf16"
  [ $all -eq 1 ] && torch_precisions="fp32 tf32 bf16"
  for preset in $presets; do
    for prec in $torch_precisions; do
      stage "torch eager $preset $prec" 120 "$py" "$ref" --preset "$preset" --precision "$prec" --mode eager \
        "${torch_extra[@]}" \
        && keep_json "torch-eager $preset $prec"
    done
    if [ $quick -eq 0 ]; then
      stage "torch compile $preset bf16" 240 "$py" "$ref" --preset "$preset" --precision bf16 --mode compile \
        && keep_json "torch-compile $preset bf16"
    fi
  done

  # 5. quality and wall time
  if [ $full -eq 1 ]; then
    stage "torch train shakespeare-char to 1.47" 420 "$py" "$ref" --preset shakespeare-char --train \
      --precision bf16 --mode compile --data "$data/tinyshakespeare.txt" && keep_json "torch-train shakespeare-char"
    if "${P[@]}" "$bin/pluma" train --help 2>/dev/null | grep -q -- "--device"; then
      stage "pluma train shakespeare-char --device cuda" 420 "${P[@]}" "$bin/pluma" train --device cuda --preset shakespeare-char \
        --data "$data/tinyshakespeare.txt" --tokenizer char --out "$work/sc.pluma" --metrics "$OUT/pluma_train.jsonl"
    fi
  fi

  "$py" - "$RESULTS" <<'PY' | tee "$OUT/table.md"
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
PY
  echo
  cat "$STATUS"
}

case ${1:-} in
  bundle) shift; bundle "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: bash tools/bench/gpu_bench.sh bundle | run [--quick] [--all] [--full-train] [--cpu-dry-run]" >&2; exit 2 ;;
esac
