#!/bin/bash
# A CUDA backend module that cannot be loaded (missing, not a module, another interface version): --device
# cuda says so in one line and exits 1, for generate and for train, before any work.
PLUMA=$1
set -u
if $PLUMA --version | grep -q "CPU only"; then echo "SKIP: this build has no CUDA backend"; exit 77; fi
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
head -c 4000 "$2/README.md" > "$tmp/corpus.txt"

# expect_refusal LIBRARY PATTERN: both commands print one line matching PATTERN (an ERE) and exit 1
expect_refusal() {
  local lib=$1 pattern=$2 out rc
  out=$(PLUMA_CUDA_LIBRARY=$lib $PLUMA generate --checkpoint "$tmp/none.pluma" --device cuda 2>&1); rc=$?
  check "generate with $lib exits 1 (got $rc)" "[ $rc -eq 1 ]"
  check "generate with $lib prints one line: $out" "[ \$(printf '%s\n' \"\$out\" | wc -l) -eq 1 ]"
  check "generate with $lib says why: $out" "printf '%s' \"\$out\" | grep -Eq '$pattern'"
  out=$(PLUMA_CUDA_LIBRARY=$lib $PLUMA train --data "$tmp/corpus.txt" --iters 1 --device cuda --out "$tmp/m.pluma" 2>&1); rc=$?
  check "train with $lib exits 1 (got $rc)" "[ $rc -eq 1 ]"
  check "train with $lib prints one line: $out" "[ \$(printf '%s\n' \"\$out\" | wc -l) -eq 1 ]"
  check "train with $lib says why: $out" "printf '%s' \"\$out\" | grep -Eq '$pattern'"
  check "train with $lib writes nothing" "[ ! -e $tmp/m.pluma ]"
}

start='^pluma: --device cuda: the CUDA backend could not be loaded \('
expect_refusal /nonexistent.so "$start/nonexistent\.so: .*\)\$"
expect_refusal libm.so.6 "${start}.*undefined symbol: pluma_cuda_backend\)\$"
wrong=$(dirname "$PLUMA")/libpluma_cuda_wrong_version.so
check "the stand-in module of another version is built" "[ -f $wrong ]"
expect_refusal "$wrong" "${start}.*libpluma_cuda_wrong_version\.so: interface version [0-9]+ where this pluma needs [0-9]+: a module from another build\)\$"
exit $fails
