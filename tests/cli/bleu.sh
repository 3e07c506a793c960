#!/bin/bash
# pluma bleu: the report line, --json, and its error messages.
PLUMA=$1
SRC=$2
set -u
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
FIX=$SRC/tests/fixtures/bleu
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

out=$($PLUMA bleu --ref $FIX/test2016.ref.de --hyp $FIX/test2016.beam5.de); rc=$?
check "bleu exits 0" "[ $rc -eq 0 ]"
check "bleu prints sacreBLEU's line" "[ \"\$out\" = 'BLEU = 34.27 65.3/41.0/27.9/19.1 (BP = 0.992 ratio = 0.992 hyp_len = 12004 ref_len = 12106)' ]"

out=$($PLUMA bleu --ref $FIX/test2016.ref.de --hyp $FIX/test2016.greedy.de --json); rc=$?
check "bleu --json exits 0" "[ $rc -eq 0 ]"
check "json has the score" "echo \"\$out\" | grep -Eq '\"score\": 32\\.0[67]'"
check "json has the lengths" "echo \"\$out\" | grep -q '\"ref_len\": 12106'"
check "json has the signature" "echo \"\$out\" | grep -q 'tok:13a|smooth:exp'"

err=$($PLUMA bleu --hyp $FIX/test2016.beam5.de 2>&1 >/dev/null); rc=$?
check "missing --ref exits 2" "[ $rc -eq 2 ]"
check "missing --ref is named" "echo \"\$err\" | head -1 | grep -q 'missing --ref'"

head -n 999 $FIX/test2016.beam5.de > $TMP/short.de
err=$($PLUMA bleu --ref $FIX/test2016.ref.de --hyp $TMP/short.de 2>&1 >/dev/null); rc=$?
check "line-count mismatch exits 1" "[ $rc -eq 1 ]"
check "mismatch names both counts" "echo \"\$err\" | grep -q 'has 999 lines but reference file .* has 1000'"

err=$($PLUMA bleu --ref $TMP/nope.de --hyp $FIX/test2016.beam5.de 2>&1 >/dev/null); rc=$?
check "missing file exits 1" "[ $rc -eq 1 ]"
check "missing file is named" "echo \"\$err\" | grep -q \"cannot open reference file '$TMP/nope.de'\""
exit $fails
