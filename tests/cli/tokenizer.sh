#!/bin/bash
# pluma tokenizer train / pluma tokenize end to end: every kind round-trips through the CLI,
# and bad options or inputs give their message and exit code (2: usage, 1: runtime).
PLUMA=$1
SRC=$2
set -u
DATA="$SRC/../shared/data"
TMP=$(mktemp -d /tmp/pluma_cli_tokenizer.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }

head -c 60000 "$DATA/tinyshakespeare.txt" > "$TMP/tiny.txt"
printf 'First Citizen:\n  Speak,\tspeak.\n\n\nAll:\nResolved. resolved.\n' > "$TMP/sample.txt"

for kind in char word bpe unigram; do
  vs=""; [ $kind = bpe ] || [ $kind = unigram ] && vs="--vocab-size 500"
  # two inputs: the sample itself is part of the corpus, so char and word see every token
  out=$($PLUMA tokenizer train --kind $kind $vs --input "$TMP/tiny.txt" --input "$TMP/sample.txt" --out "$TMP/$kind.model"); rc=$?
  check "$kind: train exits 0" "[ $rc -eq 0 ]"
  check "$kind: train reports the vocab size" "echo \"\$out\" | grep -q '^$kind tokenizer: vocab size [0-9]*, trained in [0-9.]* s'"
  check "$kind: model written" "[ -s '$TMP/$kind.model' ]"
  ids=$($PLUMA tokenize --tokenizer "$TMP/$kind.model" < "$TMP/sample.txt"); rc=$?
  check "$kind: tokenize exits 0" "[ $rc -eq 0 ]"
  check "$kind: ids are numbers" "echo \"\$ids\" | grep -Eq '^[0-9]+( [0-9]+)*$'"
  echo "$ids" | $PLUMA tokenize --tokenizer "$TMP/$kind.model" --decode > "$TMP/back.$kind.txt"; rc=$?
  check "$kind: decode exits 0" "[ $rc -eq 0 ]"
  check "$kind: decode(encode(x)) == x" "cmp -s '$TMP/sample.txt' '$TMP/back.$kind.txt'"
  pieces=$($PLUMA tokenize --tokenizer "$TMP/$kind.model" --pieces < "$TMP/sample.txt")
  check "$kind: pieces escape newlines and tabs" "echo \"\$pieces\" | grep -q '\\\\n' && [ \$(echo \"\$pieces\" | wc -l) -eq 1 ]"
done
check "bpe vocab size honoured" "$PLUMA tokenizer train --kind bpe --vocab-size 777 --input '$TMP/tiny.txt' --out '$TMP/b.model' | grep -q 'vocab size 777,'"
check "char tokenizer of tinyshakespeare by name: 69 ids" \
  "PLUMA_DATA='$DATA' $PLUMA tokenizer train --kind char --input tinyshakespeare --out '$TMP/c.model' | grep -q 'vocab size 69,'"
check "char pieces" "[ \"\$(printf 'Speak,\\tspeak.\\n' | $PLUMA tokenize --tokenizer '$TMP/char.model' --pieces)\" = 'S p e a k , \\t s p e a k . \\n' ]"

# usage errors: exit 2 with a message naming the problem
err=$($PLUMA tokenizer train --kind bogus --input "$TMP/tiny.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "unknown kind exits 2" "[ $rc -eq 2 ]"
check "unknown kind is named" "echo \"\$err\" | head -1 | grep -q \"unknown tokenizer kind 'bogus'\""
err=$($PLUMA tokenizer train --kind char --frobnicate --input "$TMP/tiny.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "unknown option exits 2" "[ $rc -eq 2 ]"
check "unknown option is named" "echo \"\$err\" | head -1 | grep -q 'frobnicate'"
err=$($PLUMA tokenizer train --kind char --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "missing --input exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'missing --input'"
err=$($PLUMA tokenizer train --kind char --input "$TMP/tiny.txt" 2>&1 >/dev/null); rc=$?
check "missing --out exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'missing --out'"
err=$($PLUMA tokenizer train --kind word --vocab-size 3 --input "$TMP/tiny.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "vocab size 3 exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'vocabulary size 3 is too small'"
err=$($PLUMA tokenizer train --kind bpe --vocab-size 100 --input "$TMP/tiny.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "bpe vocab size 100 exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'vocabulary size 100 is too small for bpe'"
err=$($PLUMA tokenizer train --kind bpe --vocab-size 300 --input "$TMP/tiny.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "bpe vocab size too small for this corpus exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'vocabulary size 300 is too small for bpe on this corpus: it needs at least'"
err=$($PLUMA tokenizer train --kind unigram --vocab-size 50000 --input "$TMP/tiny.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "unigram vocab size too large for this corpus exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'vocabulary size 50000 is too large for unigram on this corpus'"
err=$($PLUMA tokenizer frob 2>&1 >/dev/null); rc=$?
check "unknown subcommand exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q \"unknown tokenizer subcommand 'frob'\""
err=$($PLUMA tokenize 2>&1 >/dev/null </dev/null); rc=$?
check "tokenize without --tokenizer exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'missing --tokenizer'"

# runtime failures: exit 1 with the message
err=$($PLUMA tokenizer train --kind char --input "$TMP/nope.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "missing input exits 1" "[ $rc -eq 1 ]"
check "missing input is named" "echo \"\$err\" | grep -q \"corpus file '$TMP/nope.txt' not found\""
: > "$TMP/empty.txt"
err=$($PLUMA tokenizer train --kind char --input "$TMP/empty.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "empty input exits 1 with its message" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'is empty'"
printf 'caf\xe9\n' > "$TMP/latin1.txt"
err=$($PLUMA tokenizer train --kind word --input "$TMP/latin1.txt" --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "non-UTF-8 input exits 1 with the offset" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'invalid UTF-8 at byte offset 3'"
err=$(PLUMA_DATA="$TMP" $PLUMA tokenizer train --kind char --input no_such_corpus --out "$TMP/x.model" 2>&1 >/dev/null); rc=$?
check "unknown corpus name exits 1 saying where it looked" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q \"corpus 'no_such_corpus' not found.*$TMP\""
err=$(printf 'caf\xe9' | $PLUMA tokenize --tokenizer "$TMP/char.model" 2>&1 >/dev/null); rc=$?
check "non-UTF-8 stdin exits 1" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'stdin is not UTF-8: invalid byte at offset 3'"
err=$($PLUMA tokenize --tokenizer "$TMP/none.model" 2>&1 >/dev/null </dev/null); rc=$?
check "missing tokenizer exits 1" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q \"cannot open tokenizer '$TMP/none.model'\""
err=$($PLUMA tokenize --tokenizer "$TMP/sample.txt" 2>&1 >/dev/null </dev/null); rc=$?
check "a text file as tokenizer exits 1" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'neither a pluma tokenizer nor a .pluma checkpoint'"
err=$(echo "5 99999" | $PLUMA tokenize --tokenizer "$TMP/char.model" --decode 2>&1 >/dev/null); rc=$?
check "out-of-range id exits 1" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'token id 99999 is out of range'"
err=$(echo "5 x7" | $PLUMA tokenize --tokenizer "$TMP/char.model" --decode 2>&1 >/dev/null); rc=$?
check "a non-number exits 1" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q \"'x7' on stdin is not a token id\""
[ -e "$TMP/x.model" ] && { echo "FAIL: a failed training left a model behind"; fails=$((fails+1)); }
echo "tokenizer CLI: $fails failure(s)"
exit $fails
