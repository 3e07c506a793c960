#!/bin/bash
# Faults while writing lose nothing. A file size limit (RLIMIT_FSIZE, via prlimit, with SIGXFSZ ignored so
# that a write past it fails with EFBIG as a full disk fails with ENOSPC) stops the write of a checkpoint,
# a tokenizer or a shard at byte N, for N across the whole file: pluma says so in one line and exits 1, the
# file that was at that path before is intact and still loads, and no temporary file is left. Output to a
# closed pipe ends generate quietly (translate: tests/cli/translate.sh).
PLUMA=$1
set -u
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
command -v prlimit >/dev/null || { echo "FAIL: prlimit (util-linux) is missing"; exit 1; }
TMP=$(mktemp -d /tmp/pluma_cli_faults.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
# make test-sanitize: the limit must not be taken for a sanitizer's own failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

for i in $(seq 1 80); do echo "Two households, both alike in dignity, in fair Verona, where we lay our scene."; done > c.txt
TRAIN=(train --model gpt --data c.txt --tokenizer char --layers 1 --heads 2 --embd 32 --context 16 --batch 4
       --iters 1 --eval-interval 1 --threads 1)
"$PLUMA" "${TRAIN[@]}" --seed 1 --out good.pluma > /dev/null 2>&1
check "a first checkpoint" "[ -s good.pluma ]"
# The checkpoint each limited run tries to write (another seed: other bytes), and its size.
"$PLUMA" "${TRAIN[@]}" --seed 2 --out new.pluma > /dev/null 2>&1
size=$(stat -c %s new.pluma)
check "the new checkpoint differs from the old" "! cmp -s good.pluma new.pluma"

# limited N COMMAND...: runs pluma with files limited to N bytes; its stderr goes to err.txt through a pipe
# (a file would be limited too), stdout nowhere.
limited() {
  local n=$1; shift
  (trap '' XFSZ; exec prlimit --fsize="$n":"$n" "$PLUMA" "$@") 2>&1 >/dev/null | cat > err.txt
  return "${PIPESTATUS[0]}"
}

# Limits through the whole file: every byte of the 8-byte length and the start of the header, then a
# stride through the header and the tensors, and the last byte.
points="$(seq 0 9) $(seq 10 $((size / 40 + 1)) $((size - 2))) $((size - 1))"
bad=0
for n in $points; do
  cp good.pluma out.pluma
  limited "$n" "${TRAIN[@]}" --seed 2 --out out.pluma
  rc=$?
  if [ $rc -ne 1 ] || [ "$(wc -l < err.txt)" -ne 1 ] || ! cmp -s good.pluma out.pluma || [ -e out.pluma.tmp ]; then
    echo "checkpoint write cut at byte $n of $size: exit $rc, stderr: $(cat err.txt)"; bad=$((bad+1))
  fi
done
check "a checkpoint write cut anywhere: one line, exit 1, the old checkpoint intact, no .tmp" "[ $bad -eq 0 ]"
check "the error says what failed" "grep -Eqi 'checkpoint.*(File too large|No space|disk)' err.txt"
out=$("$PLUMA" generate --checkpoint out.pluma --max-new-tokens 5 --seed 1 2>&1); rc=$?
check "the kept checkpoint still samples" "[ $rc -eq 0 ]"
limited 100000000 "${TRAIN[@]}" --seed 2 --out out.pluma
check "with room enough the new checkpoint replaces the old" "cmp -s new.pluma out.pluma"

# A tokenizer and a shard.
"$PLUMA" tokenizer train --kind char --input c.txt --out tok.model > /dev/null
tsize=$(stat -c %s tok.model)
bad=0
for n in 0 4 8 20 $((tsize / 2)) $((tsize - 1)); do
  printf 'previous' > t.model
  limited "$n" tokenizer train --kind char --input c.txt --out t.model
  rc=$?
  if [ $rc -ne 1 ] || [ "$(wc -l < err.txt)" -ne 1 ] || [ "$(cat t.model)" != previous ] || [ -e t.model.tmp ]; then
    echo "tokenizer write cut at byte $n: exit $rc, stderr: $(cat err.txt)"; bad=$((bad+1))
  fi
done
check "a tokenizer write cut anywhere loses nothing" "[ $bad -eq 0 ]"
"$PLUMA" prepare --tokenizer tok.model --input c.txt --out shards > /dev/null
cp shards/train.bin before.bin
bad=0
for n in 0 30 64 100 $(( $(stat -c %s before.bin) - 1 )); do
  limited "$n" prepare --tokenizer tok.model --input c.txt --out shards
  rc=$?
  if [ $rc -ne 1 ] || [ "$(wc -l < err.txt)" -ne 1 ] || ! cmp -s before.bin shards/train.bin || ls shards/*.tmp > /dev/null 2>&1; then
    echo "shard write cut at byte $n: exit $rc, stderr: $(cat err.txt)"; bad=$((bad+1))
  fi
done
check "a shard write cut anywhere loses nothing" "[ $bad -eq 0 ]"

# A closed pipe: generate ends at once (killed by SIGPIPE, or exit 0) and says nothing. Without that it would
# write its 10^6 tokens for much longer than the timeout.
timeout 60 "$PLUMA" generate --checkpoint good.pluma --max-new-tokens 1000000 --seed 1 --ignore-eos 2> err.txt |
  head -c 10 > /dev/null
rc=${PIPESTATUS[0]}
check "generate into a closed pipe ends at once (exit $rc)" "[ $rc -eq 0 ] || [ $rc -eq 141 ]"
check "generate into a closed pipe: nothing on stderr" "[ ! -s err.txt ]"


exit $fails
