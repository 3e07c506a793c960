#!/bin/bash
# pluma prepare: shards with the last fraction as validation; bad inputs named.
PLUMA=$1
set -u
T=$(mktemp -d); trap 'rm -rf $T' EXIT
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }

printf 'hello world, hello pluma\n' > $T/a.txt
$PLUMA tokenizer train --kind char --input $T/a.txt --out $T/tok.model >/dev/null
out=$($PLUMA prepare --tokenizer $T/tok.model --input $T/a.txt --out $T/d --val-fraction 0.25); rc=$?
check "prepare exits 0" "[ $rc -eq 0 ]"
check "prints counts (25 tokens: 18 train, 7 val)" "echo \"\$out\" | grep -q '25 tokens (vocabulary 18): train 18, val 7'"
check "train shard written" "[ -s $T/d/train.bin ] && [ -s $T/d/val.bin ]"
err=$($PLUMA prepare --tokenizer $T/tok.model --input $T/a.txt --out $T/d --val-fraction 1.5 2>&1); rc=$?
check "bad fraction exits 2" "[ $rc -eq 2 ]"
check "bad fraction named" "echo \"\$err\" | head -1 | grep -q 'val-fraction must be in'"
: > $T/empty.txt
err=$($PLUMA prepare --tokenizer $T/tok.model --input $T/empty.txt --out $T/e 2>&1); rc=$?
check "empty corpus exits 1" "[ $rc -eq 1 ]"
check "empty corpus named" "echo \"\$err\" | grep -q 'is empty'"
err=$($PLUMA prepare --tokenizer $T/missing.model --input $T/a.txt --out $T/e 2>&1); rc=$?
check "missing tokenizer exits 1" "[ $rc -eq 1 ]"
err=$(PLUMA_DATA=$T $PLUMA prepare --tokenizer $T/tok.model --input nonesuch --out $T/e 2>&1); rc=$?
check "unknown corpus exits 1" "[ $rc -eq 1 ]"
check "unknown corpus says where it looked" "echo \"\$err\" | grep -q \"$T\""
exit $fails
