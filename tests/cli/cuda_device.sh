#!/bin/bash
# --device cuda: one clear line and exit 1 where no GPU can be used (this build or this machine); a bad
# device name is a usage error.
PLUMA=$1
set -u
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }

err=$($PLUMA generate --device cuda --checkpoint /nonexistent/model.pluma 2>&1 >/dev/null); rc=$?
check "--device cuda without a usable GPU, or a missing checkpoint, exits 1" "[ $rc -eq 1 ]"
last=$(printf '%s\n' "$err" | tail -1)   # (generate may note its seed first)
no_gpu='no CUDA device|no CUDA backend|CUDA backend could not be loaded'   # no device, no backend, no module
if printf '%s' "$err" | grep -Eq "$no_gpu"; then
  check "it says so in one line, the last" "[ \$(printf '%s\n' \"\$err\" | grep -Ec '$no_gpu') -eq 1 ]"
  check "the line gives the reason" "printf '%s' \"\$last\" | grep -Eq '^pluma: --device cuda: .{16,}'"
  if $PLUMA --version | grep -q "CPU only"; then
    check "a CPU-only build says it has no CUDA backend" "printf '%s' \"\$err\" | grep -q 'no CUDA backend'"
  fi
else   # a GPU is there: the next complaint is the checkpoint
  check "with a GPU, the missing checkpoint is named" "printf '%s' \"\$err\" | grep -q nonexistent"
fi

# training: the same line before any work (no corpus is read when the device is missing); with a GPU, 30
# iterations of a small GPT on each device from the same seed end at the same validation loss
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -c 20000 "$(dirname "$0")/../../README.md" > "$tmp/corpus.txt"
train() { $PLUMA train --data "$tmp/corpus.txt" --layers 2 --heads 2 --embd 32 --context 32 --batch 4 --iters 30 \
  --eval-interval 30 --eval-iters 2 --warmup 5 --threads 1 "$@"; }
err=$(train --device cuda --out "$tmp/gpu.pluma" 2>&1 >/dev/null); rc=$?
if printf '%s' "$err" | grep -Eq "$no_gpu"; then
  check "train --device cuda without a GPU exits 1" "[ $rc -eq 1 ]"
  check "and says why in one line" "[ \$(printf '%s\n' \"\$err\" | grep -c .) -eq 1 ]"
  check "it writes no checkpoint" "[ ! -e $tmp/gpu.pluma ]"
else   # a GPU: that run trained; the same on the CPU ends at the same validation loss
  check "train --device cuda runs" "[ $rc -eq 0 ]"
  gpu=$(train --device cuda --out "$tmp/gpu.pluma" 2>&1 | grep -o 'val loss [0-9.]*' | tail -1 | cut -d' ' -f3)
  cpu=$(train --device cpu --out "$tmp/cpu.pluma" 2>&1 | grep -o 'val loss [0-9.]*' | tail -1 | cut -d' ' -f3)
  check "train --device cuda ends where the CPU does (cpu $cpu, cuda $gpu)" \
    "awk -v c='$cpu' -v g='$gpu' 'BEGIN {d = c - g; if (d < 0) d = -d; exit !(c > 0 && d <= 2e-3 * c)}'"
  check "the GPU's checkpoint samples on the CPU" \
    "$PLUMA generate --checkpoint $tmp/gpu.pluma --max-new-tokens 20 --seed 1 --threads 1 >/dev/null 2>&1"
  check "and resumes on the GPU" "$PLUMA train --resume $tmp/gpu.pluma --iters 40 --device cuda --threads 1 >/dev/null 2>&1"
  err=$($PLUMA train --model lstm --data "$tmp/corpus.txt" --iters 2 --device cuda --out "$tmp/l.pluma" 2>&1 >/dev/null); rc=$?
  check "an lstm on --device cuda is refused" "[ $rc -eq 1 ] && printf '%s' \"\$err\" | grep -q 'CPU only'"
fi

err=$($PLUMA generate --device tpu --checkpoint x.pluma 2>&1 >/dev/null); rc=$?
check "an unknown device is a usage error" "[ $rc -eq 2 ]"
check "the usage error names the choices" "printf '%s' \"\$err\" | grep -q 'device must be cpu or cuda'"
exit $fails
