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
if printf '%s' "$err" | grep -q "no CUDA device"; then
  check "it says so in one line, the last" "[ \$(printf '%s\n' \"\$err\" | grep -c 'no CUDA device') -eq 1 ]"
  check "the line gives the reason" "printf '%s' \"\$last\" | grep -Eq '^pluma: --device cuda: no CUDA device: .{8,}'"
  if $PLUMA --version | grep -q "CPU only"; then
    check "a CPU-only build says it has no CUDA backend" "printf '%s' \"\$err\" | grep -q 'no CUDA backend'"
  fi
else   # a GPU is there: the next complaint is the checkpoint
  check "with a GPU, the missing checkpoint is named" "printf '%s' \"\$err\" | grep -q nonexistent"
fi
err=$($PLUMA generate --device tpu --checkpoint x.pluma 2>&1 >/dev/null); rc=$?
check "an unknown device is a usage error" "[ $rc -eq 2 ]"
check "the usage error names the choices" "printf '%s' \"\$err\" | grep -q 'device must be cpu or cuda'"
exit $fails
