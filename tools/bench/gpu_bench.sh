#!/usr/bin/env bash
# gpu_bench.sh: the CUDA backend's checks and timings for one GPU session, prepared in advance.
#
#   bash tools/bench/gpu_bench.sh bundle     HERE, on the machine without a GPU: configure and build with
#                                            -DCMAKE_CUDA_ARCHITECTURES=90 into build-gpu/, then pack the GPU
#                                            programs, the shared libraries they need that a bare CUDA image
#                                            lacks (oneDNN, OpenMP, ...) and tiny Shakespeare into
#                                            build-gpu-bundle/bundle.tar.gz (ignored by git; carried). The C
#                                            and C++ runtimes are not packed: MANIFEST says the glibc and
#                                            libstdc++ versions they must have (built on Debian 12: glibc 2.34
#                                            and GCC 12's libstdc++ for the programs; any newer system runs them).
#   bash tools/bench/gpu_bench.sh plan [run options]
#                                            prints the stages that `run` with these options would run, each
#                                            with its time limit, and the total (runs nothing).
#   bash tools/bench/gpu_bench.sh run [--quick] [--all] [--full-train] [--cpu-dry-run]
#                                            THERE, on the GPU machine: unpack the bundle (or, without one and
#                                            not --quick, build in place), then
#                                              1. the device test and the CPU<->CUDA parity tests (every op case,
#                                                 multi-tile shapes, precisions; the whole GPT's loss, gradients,
#                                                 logits and AdamW step; KV-cache decoding and prefill),
#                                              2. cuda_ops_bench: every op at GPT-2-small and shakespeare-char
#                                                 shapes (fp32 and bf16 matmuls) against measured ceilings,
#                                              3. pluma's GPT training step on the GPU (gpt_cuda_bench),
#                                              4. the same models in PyTorch on the same GPU: eager fp32 and bf16
#                                                 (--all: tf32 too) and torch.compile bf16,
#                                              5. --full-train: shakespeare-char trained to val loss 1.47 (PyTorch,
#                                                 and pluma when it trains on CUDA), with the wall time;
#                                            and prints a short table last.
#                                            --quick fits one short device call (420 s in all, see `plan --quick`):
#                                            no build (the bundle must be carried), parity first, then
#                                            shakespeare-char's training step in pluma and PyTorch eager (bf16),
#                                            then GPT-2 small's step in pluma (bf16).
#                                            Everything goes to $OUT as each stage ends (bench.log, status.txt,
#                                            results.jsonl, table.md: few files, as the device tool returns at
#                                            most 8), so a run killed at its limit still returns what it finished.
#                                            --cpu-dry-run checks the script itself on a machine without a GPU
#                                            (PyTorch on the CPU, tiny model).
#
# The device call: run(command="bash tools/bench/gpu_bench.sh run --quick", carry=["build-gpu-bundle"],
# timeout_s=450). Every stage has its own time limit, so one stuck stage cannot eat the call. The card's
# settings are only read (nvidia-smi queries), never changed.
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
  # the CUDA backend module, found beside the programs when they load it
  cp "$build/libpluma_cuda.so" "$stage/bin/" && strip "$stage/bin/libpluma_cuda.so" || die "no libpluma_cuda.so in $build"
  # shared libraries outside the C/C++ runtime and the CUDA toolkit (which the GPU image has). libstdc++ stays
  # out: Debian 12's asks for glibc 2.36, our programs alone for less (MANIFEST says which)
  local lib
  for lib in $(for p in "${targets[@]}" libpluma_cuda.so; do ldd "$build/$p"; done | awk '/=> \//{print $3}' | sort -u); do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libstdc++.so*|libgcc_s.so*) continue ;;
      libcuda.so*|libcudart.so*|libcublas.so*|libcublasLt.so*|libnvidia*) continue ;;
    esac
    cp -L "$lib" "$stage/lib/"
  done
  # the newest glibc and libstdc++ symbol versions any packed binary or library asks for: the GPU machine
  # needs those or newer (a newer glibc than this machine's runs them; an older one cannot)
  local glibc glibcxx
  glibc=$(for f in "$stage"/bin/* "$stage"/lib/*; do objdump -T "$f" 2>/dev/null; done |
          grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  glibcxx=$(for f in "$stage"/bin/* "$stage"/lib/*; do objdump -T "$f" 2>/dev/null; done |
            grep -o 'GLIBCXX_[0-9][0-9.]*' | sed 's/GLIBCXX_//' | sort -uV | tail -1)
  local data=${PLUMA_DATA:-$ROOT/../shared/data}
  [ -f "$data/tinyshakespeare.txt" ] && cp "$data/tinyshakespeare.txt" "$stage/data/"
  {
    echo "commit $(git -C "$ROOT" rev-parse HEAD 2>/dev/null) $(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) uncommitted"
    echo "built $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n): CUDA arch 90, -O3, no -march=native, no MPI"
    /usr/local/cuda/bin/nvcc --version | tail -1
    echo "needs glibc >= ${glibc:-unknown} and libstdc++ GLIBCXX_${glibcxx:-unknown} (built on $(ldd --version | head -1 | sed 's/^ldd //'))"
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
KILL_AFTER=3     # seconds a stage gets after its limit's TERM before KILL
PLAN=0           # 1: `plan`: stages are listed with their limits, nothing runs
PLAN_TOTAL=0

# stage NAME SECONDS CMD...: runs CMD under a time limit, output appended to bench.log; records the outcome
# in status.txt at once. In plan mode only lists the stage.
stage() {
  local name=$1 limit=$2; shift 2
  if [ $PLAN -eq 1 ]; then
    PLAN_TOTAL=$((PLAN_TOTAL + limit + KILL_AFTER))
    printf '%-44s %4ds\n' "$name" "$limit"
    return 0
  fi
  local t0=$SECONDS rc
  echo "===== $name: $*" >> "$LOG"
  timeout --kill-after=$KILL_AFTER "$limit" "$@" >> "$LOG" 2>&1
  rc=$?
  local verdict=ok
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && verdict="TIMEOUT after ${limit}s"
  [ $rc -ne 0 ] && [ "$verdict" = ok ] && verdict="FAILED (exit $rc)"
  # a test program that found no GPU passed nothing: say so
  [ $rc -eq 0 ] && awk '/^===== /{s=0} /skipped: no CUDA device/{s=1} END{exit !s}' "$LOG" && verdict="SKIPPED (no GPU)"
  printf '%-44s %-22s %4ds\n' "$name" "$verdict" $((SECONDS - t0)) | tee -a "$STATUS"
  return $rc
}

# a line for status.txt (and the screen) that is not a stage
note() { [ $PLAN -eq 1 ] && echo "  ($*)" || echo "$*" | tee -a "$STATUS"; }

# last JSON line of the last stage's output, tagged, into results.jsonl; table.md redone from it at once
keep_json() {
  [ $PLAN -eq 1 ] && return 0
  local tag=$1 line
  line=$(awk '/^===== /{last=""} /^\{.*\}$/{last=$0} END{print last}' "$LOG")
  [ -n "$line" ] && echo "{\"tag\": \"$tag\", \"result\": $line}" >> "$RESULTS"
  "$PY" "$ROOT/tools/bench/gpu_table.py" "$RESULTS" > "$OUT/table.md" 2>> "$LOG"
}

# The directories holding libcublas and the CUDA runtime in PyTorch's wheels: CUDA 13's wheels put every
# library in nvidia/cu13/lib, CUDA 12's in nvidia/cublas/lib and nvidia/cuda_runtime/lib.
wheel_lib_dirs() {
  "$PY" -c 'import os
try:
    import nvidia
    roots = list(nvidia.__path__)
except Exception:
    roots = []
for root in roots:
    for sub in ("cu13/lib", "cublas/lib", "cuda_runtime/lib"):
        if os.path.isdir(os.path.join(root, sub)):
            print(os.path.join(root, sub), end=":")' 2>/dev/null
}

# The bundle's glibc against this machine's: a clear line before any program fails to start.
check_glibc() {
  local need have
  need=$(sed -n 's/^needs glibc >= \([0-9.]*\).*/\1/p' "$1/MANIFEST")
  have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
  [ -n "$need" ] && [ -n "$have" ] || return 0
  if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" = "$need" ]; then
    note "glibc $have here, the bundle needs >= $need: ok"
  else
    note "glibc $have here, but the bundle needs >= $need: its programs cannot start (bundle on an older system)"
  fi
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
  local presets="gpt2-small shakespeare-char" torch_extra=() precs="fp32 bf16"
  [ $quick -eq 1 ] && precs=bf16
  [ $dry -eq 1 ] && presets=tiny && torch_extra=(--device cpu --steps 2 --warmup 1)
  local work=/tmp/pluma-gpu bin lib data
  PY=${PYTHON:-$(command -v python3)}
  if [ $PLAN -eq 0 ]; then
    mkdir -p "$OUT"
    : > "$LOG"; : > "$RESULTS"; : > "$STATUS"
    rm -rf "$work"; mkdir -p "$work"
  fi
  if [ $PLAN -eq 1 ]; then
    [ -f "$BUNDLE" ] || [ $quick -eq 1 ] || stage "build (no bundle)" 420 true
  elif [ -f "$BUNDLE" ]; then
    tar -C "$work" -xzf "$BUNDLE" || die "cannot unpack $BUNDLE"
    tee -a "$LOG" < "$work/MANIFEST"
    check_glibc "$work"
  elif [ $dry -eq 1 ]; then
    local build=${BUILD:-$ROOT/build}   # the dry run uses this checkout's build
    mkdir -p "$work/bin" "$work/lib" "$work/data"
    for a in $PROGRAMS; do [ -x "$build/$a" ] && ln -s "$build/$a" "$work/bin/$a"; done
  elif [ $quick -eq 1 ]; then
    die "--quick builds nothing: carry the bundle (bash tools/bench/gpu_bench.sh bundle, then carry build-gpu-bundle)"
  else
    echo "gpu_bench: no bundle: building here" | tee -a "$LOG"
    stage "build (no bundle)" 420 bash -c "cmake -S '$ROOT' -B '$work/build' -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON && cmake --build '$work/build' -j \$(nproc)" \
      || die "no bundle and no build: run 'bash tools/bench/gpu_bench.sh bundle' where the dependencies are"
    mkdir -p "$work/bin" "$work/data"
    for a in $PROGRAMS libpluma_cuda.so; do [ -f "$work/build/$a" ] && cp "$work/build/$a" "$work/bin/"; done
    [ -f "$ROOT/../shared/data/tinyshakespeare.txt" ] && cp "$ROOT/../shared/data/tinyshakespeare.txt" "$work/data/"
  fi
  bin=$work/bin; lib=$work/lib; data=$work/data
  # cuBLAS and the CUDA runtime: the image's toolkit, else the ones PyTorch's wheels bring
  local wheel_libs=""
  [ $PLAN -eq 0 ] && wheel_libs=$(wheel_lib_dirs)
  # only pluma's programs see the carried libraries (PyTorch keeps its own)
  local P=(env "LD_LIBRARY_PATH=$lib:/usr/local/cuda/lib64:/usr/local/cuda/lib:${wheel_libs}${LD_LIBRARY_PATH:-}")
  export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)} PLUMA_DATA=$data \
    TINYSHAKESPEARE=$data/tinyshakespeare.txt

  stage "gpu (nvidia-smi, read only)" 10 nvidia-smi \
    --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm,power.limit,temperature.gpu --format=csv
  [ $quick -eq 0 ] && stage "python3 + torch" 60 "$PY" -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))'

  # 1. correctness first: every timing below is void if these fail
  # (a program that cannot start says why here: a missing library, or a C library older than the build's)
  stage "test_device" 20 "${P[@]}" "$bin/test_device"
  stage "test_cuda_parity (ops, GPT, KV cache)" $([ $quick -eq 1 ] && echo 150 || echo 240) "${P[@]}" "$bin/test_cuda_parity"

  local ref="$ROOT/tools/reference/gpt_gpu_reference.py" preset prec
  if [ $quick -eq 1 ]; then
    # 2. shakespeare-char's training step, pluma against PyTorch eager on this GPU; 3. GPT-2 small's step
    if [ $dry -eq 1 ]; then
      note "gpt_cuda_bench: not run in a dry run"
    else
      stage "gpt_cuda_bench shakespeare-char bf16" 45 "${P[@]}" "$bin/gpt_cuda_bench" --preset shakespeare-char \
        --precision bf16 && keep_json "pluma shakespeare-char bf16"
    fi
    for preset in $presets; do
      [ "$preset" = gpt2-small ] && continue
      stage "torch eager $preset bf16" 90 "$PY" "$ref" --preset "$preset" --precision bf16 --mode eager \
        "${torch_extra[@]}" && keep_json "torch-eager $preset bf16"
    done
    [ $dry -eq 0 ] && stage "gpt_cuda_bench gpt2-small bf16" 60 "${P[@]}" "$bin/gpt_cuda_bench" --preset gpt2-small \
      --precision bf16 --steps 10 --warmup 2 && keep_json "pluma gpt2-small bf16"
  else
    # 2. every op at the models' shapes
    for preset in $presets; do
      [ $dry -eq 1 ] && note "cuda_ops_bench: not run in a dry run" && break
      for prec in $precs; do
        stage "cuda_ops_bench $preset $prec" 120 "${P[@]}" "$bin/cuda_ops_bench" --preset "$preset" --precision "$prec" \
          && keep_json "pluma-ops $preset $prec"
      done
    done
    # 3. pluma's real training step on the GPU
    if [ $dry -eq 1 ]; then
      note "gpt_cuda_bench: not run in a dry run"
    else
      for preset in $presets; do
        for prec in $precs; do
          stage "gpt_cuda_bench $preset $prec" 150 "${P[@]}" "$bin/gpt_cuda_bench" --preset "$preset" --precision "$prec" \
            && keep_json "pluma $preset $prec"
        done
      done
    fi
    # 4. PyTorch on the same GPU
    local torch_precisions="fp32 bf16"
    [ $all -eq 1 ] && torch_precisions="fp32 tf32 bf16"
    for preset in $presets; do
      for prec in $torch_precisions; do
        stage "torch eager $preset $prec" 120 "$PY" "$ref" --preset "$preset" --precision "$prec" --mode eager \
          "${torch_extra[@]}" && keep_json "torch-eager $preset $prec"
      done
      stage "torch compile $preset bf16" 240 "$PY" "$ref" --preset "$preset" --precision bf16 --mode compile \
        && keep_json "torch-compile $preset bf16"
    done
  fi

  # 5. quality and wall time
  if [ $full -eq 1 ]; then
    stage "torch train shakespeare-char to 1.47" 420 "$PY" "$ref" --preset shakespeare-char --train \
      --precision bf16 --mode compile --data "$data/tinyshakespeare.txt" && keep_json "torch-train shakespeare-char"
    if [ $PLAN -eq 1 ] || "${P[@]}" "$bin/pluma" train --help 2>/dev/null | grep -q -- "--device"; then
      stage "pluma train shakespeare-char --device cuda" 420 "${P[@]}" "$bin/pluma" train --device cuda --preset shakespeare-char \
        --data "$data/tinyshakespeare.txt" --tokenizer char --out "$work/sc.pluma" --metrics "$OUT/pluma_train.jsonl"
    fi
  fi

  if [ $PLAN -eq 1 ]; then
    echo "total, each stage at its limit (+${KILL_AFTER}s to kill): ${PLAN_TOTAL}s, plus about 5s to unpack the bundle"
    return 0
  fi
  echo
  [ -s "$OUT/table.md" ] && cat "$OUT/table.md"
  echo
  cat "$STATUS"
}

case ${1:-} in
  bundle) shift; bundle "$@" ;;
  plan) shift; PLAN=1; run "$@" ;;
  run) shift; run "$@" ;;
  *) echo "usage: bash tools/bench/gpu_bench.sh bundle | plan [run options] | run [--quick] [--all] [--full-train] [--cpu-dry-run]" >&2
     exit 2 ;;
esac
