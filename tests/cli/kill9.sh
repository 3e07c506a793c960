#!/bin/bash
# kill -9 at random moments of a training run (during a checkpoint write too: one is written every two
# iterations) loses nothing: after every kill the checkpoint at --out is a whole one that loads and samples,
# and resuming from it ends exactly where an uninterrupted run ends (the same scores for a text, to the last
# digit, on one thread). KILL9_ROUNDS=50 for the long version; the suite runs 4.
PLUMA=$1
set -u
ROUNDS=${KILL9_ROUNDS:-4}
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
TMP=$(mktemp -d /tmp/pluma_cli_kill9.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

for i in $(seq 1 60); do echo "Now is the winter of our discontent made glorious summer by this sun of York."; done > c.txt
head -c 400 c.txt > probe.txt
TRAIN=(train --model gpt --data c.txt --tokenizer char --layers 1 --heads 2 --embd 32 --context 16 --batch 4
       --iters 1500 --eval-interval 500 --checkpoint-interval 2 --threads 1 --seed 5)
"$PLUMA" "${TRAIN[@]}" --out straight.pluma > /dev/null 2>&1
check "the uninterrupted run" "[ -s straight.pluma ]"
"$PLUMA" score --checkpoint straight.pluma --input probe.txt --json --threads 1 > straight.json 2>/dev/null
check "the uninterrupted run scores the probe" "[ -s straight.json ] && grep -q loss straight.json"

RANDOM=7
killed=0
for round in $(seq 1 "$ROUNDS"); do
  rm -f k.pluma k.pluma.tmp
  "$PLUMA" "${TRAIN[@]}" --out k.pluma > /dev/null 2>&1 &
  pid=$!
  # From the first checkpoint on (start-up time varies with the machine's load), a random moment later.
  while [ ! -e k.pluma ] && kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  sleep "0.$(printf '%03d' $((RANDOM % 400)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  st=$?
  was_killed=0
  [ $st -eq 137 ] && was_killed=1 && killed=$((killed+1))   # killed, not finished before the signal
  if ! "$PLUMA" generate --checkpoint k.pluma --max-new-tokens 3 --seed 1 > /dev/null 2> err.txt; then
    echo "FAIL: round $round: the checkpoint left by kill -9 does not load: $(cat err.txt)"; fails=$((fails+1)); continue
  fi
  if [ $was_killed -eq 1 ]; then
    "$PLUMA" train --resume k.pluma --iters 1500 --threads 1 --out k.pluma > /dev/null 2> err.txt ||
      { echo "FAIL: round $round: resume failed: $(cat err.txt)"; fails=$((fails+1)); continue; }
  fi
  if ! "$PLUMA" score --checkpoint k.pluma --input probe.txt --json --threads 1 > k.json 2> err.txt; then
    echo "FAIL: round $round: the finished checkpoint does not score: $(cat err.txt)"; fails=$((fails+1)); continue
  fi
  if ! cmp -s straight.json k.json; then
    echo "FAIL: round $round: killed, resumed and finished is not the uninterrupted run"; fails=$((fails+1))
  fi
done
check "the runs were killed mid-way, not after the end ($killed of $ROUNDS)" "[ $killed -ge 1 ]"
echo "$killed of $ROUNDS runs killed mid-way"
exit $fails
