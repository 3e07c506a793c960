#!/bin/bash
# The CLI's top level: help, version, unknown command/option.
PLUMA=$1
set -u
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }

out=$($PLUMA --help); rc=$?
check "help exits 0" "[ $rc -eq 0 ]"
check "help lists usage" "echo \"\$out\" | grep -q 'Usage: pluma COMMAND'"
out=$($PLUMA --version); rc=$?
check "version exits 0" "[ $rc -eq 0 ]"
check "version names the build" "echo \"\$out\" | grep -Eq '^pluma [0-9.]+ \\((CPU only|CPU \\+ CUDA)'"
err=$($PLUMA frobnicate 2>&1 >/dev/null); rc=$?
check "unknown command exits 2" "[ $rc -eq 2 ]"
check "unknown command is named" "echo \"\$err\" | head -1 | grep -q \"unknown command 'frobnicate'\""
err=$($PLUMA --frob 2>&1 >/dev/null); rc=$?
check "unknown top-level option exits 2" "[ $rc -eq 2 ]"
check "unknown option is named" "echo \"\$err\" | head -1 | grep -q \"unknown option '--frob'\""
exit $fails
