#!/bin/bash
# pluma generate / probs / score end to end on a tiny GPT: determinism, greedy, stop strings, JSON shapes,
# and bad inputs with their messages and exit codes.
PLUMA=$1
SRC=$2
set -u
export PLUMA_DATA="$SRC/../shared/data"
W=$(mktemp -d /tmp/pluma_cli_generate.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
run() { local n=$1; shift; "$PLUMA" "$@" >"$n.out" 2>"$n.err"; rc=$?; }

"$PLUMA" train --layers 2 --heads 2 --embd 32 --context 16 --batch 4 --iters 30 --eval-interval 100 --eval-iters 1 \
  --threads 1 --out m.pluma >/dev/null 2>&1 || { echo "FAIL: could not train the tiny model"; exit 1; }
G="--checkpoint m.pluma --threads 1 --max-new-tokens 80"

run a generate $G --seed 3 --prompt "ROMEO:"
check "generate exits 0" "[ $rc -eq 0 ]"
check "the output starts with the prompt" "head -c 6 a.out | grep -q 'ROMEO:'"
check "it generates text" "[ \$(wc -c < a.out) -gt 40 ]"
run b generate $G --seed 3 --prompt "ROMEO:"
check "same seed, same text" "cmp -s a.out b.out"
run c generate $G --seed 4 --prompt "ROMEO:"
check "another seed, other text" "! cmp -s a.out c.out"
run g0 generate $G --temperature 0 --prompt "ROMEO:"
run k1 generate $G --top-k 1 --seed 9 --prompt "ROMEO:"
check "--top-k 1 equals --temperature 0" "cmp -s g0.out k1.out"
run nos generate $G --seed 3
check "without a prompt it starts from <sos>" "[ $rc -eq 0 ] && [ -s nos.out ]"
run s3 generate $G --seed 3 --prompt "ROMEO:" --num-samples 3
check "three samples, separated" "[ \$(grep -c '^---$' s3.out) -eq 2 ]"
stop=$(tail -c +8 a.out | head -c 2)
run st generate $G --seed 3 --prompt "ROMEO:" --stop "$stop"
check "a stop string ends generation before it" "[ \$(wc -c < st.out) -lt \$(wc -c < a.out) ] && ! tail -c +7 st.out | grep -qF -- \"$stop\""
run noseed generate $G --prompt "x"
check "without --seed the seed is printed" "grep -q '^pluma: seed [0-9]*$' noseed.err"

run p probs --checkpoint m.pluma --prompt "ROMEO:" --top 70 --json --threads 1
check "probs --json exits 0" "[ $rc -eq 0 ]"
check "probs --json names the prompt" "grep -q '\"prompt\": \"ROMEO:\"' p.out"
probs=$(grep -o '"prob": [0-9.e-]*' p.out | sed 's/"prob": //')
check "probs --json lists the whole vocabulary (69)" "[ \$(echo \"\$probs\" | wc -l) -eq 69 ]"
check "probs over the whole vocabulary sum to 1" "echo \"\$probs\" | awk '{s+=\$1} END {exit !(s>0.9999 && s<1.0001)}'"
check "probs are in descending order" "echo \"\$probs\" | awk 'NR>1 && \$1>p {exit 1} {p=\$1}'"
run p2 probs --checkpoint m.pluma --prompt "ROMEO:" --top 3 --depth 2 --threads 1
check "probs tree has 3 roots with 3 children each" "[ \$(grep -c '^    → ' p2.out) -eq 9 ]"

printf 'First Citizen:\nBefore we proceed any further, hear me speak.\n' > text.txt
run sc score --checkpoint m.pluma --input text.txt --json --threads 1
check "score --json exits 0" "[ $rc -eq 0 ]"
check "score --json has loss, perplexity and bits per char" "grep -q '\"loss\": [0-9]' sc.out && grep -q '\"perplexity\": [0-9]' sc.out && grep -q '\"bits_per_char\": [0-9]' sc.out"
check "score --json scores every token after the first (60)" "grep -q '\"num_tokens\": 60' sc.out && [ \$(grep -c '\"surprisal_bits\"' sc.out) -eq 60 ]"
run sct score --checkpoint m.pluma --input text.txt --threads 1
check "score table ends with the totals" "tail -1 sct.out | grep -Eq '^tokens 60  chars 60  loss [0-9.]+  perplexity [0-9.]+  bits/char [0-9.]+$'"

# ---- bad input
if [ -w /dev/full ]; then
  "$PLUMA" generate $G --seed 3 > /dev/full 2> full.err; rc=$?
  check "a full disk: exit 1, said in one line ($(cat full.err))" "[ $rc -eq 1 ] && [ \$(wc -l < full.err) -eq 1 ] && grep -q 'could not write' full.err"
fi
run e1 generate --checkpoint missing.pluma
check "missing checkpoint: exit 1, named" "[ $rc -eq 1 ] && grep -q 'missing.pluma' e1.err"
head -c 1000 m.pluma > trunc.pluma
run e2 generate --checkpoint trunc.pluma
check "truncated checkpoint: exit 1, says so" "[ $rc -eq 1 ] && grep -qi 'truncated' e2.err"
run e3 generate --checkpoint m.pluma --temperature -1
check "negative temperature: exit 2, named" "[ $rc -eq 2 ] && head -1 e3.err | grep -q 'temperature'"
run e4 generate --checkpoint m.pluma --top-p 1.5
check "top-p out of range: exit 2" "[ $rc -eq 2 ] && head -1 e4.err | grep -q 'top_p'"
run e5 generate --checkpoint m.pluma --device cuda
check "--device cuda on this machine: one clear line, exit 1" "[ $rc -eq 1 ] && grep -q 'cuda' e5.err"
run e6 score --checkpoint m.pluma --input nothere.txt
check "score of a missing file: exit 1, named" "[ $rc -eq 1 ] && grep -q 'nothere.txt' e6.err"
printf '\xff\xfe bad' > bad.txt
run e7 score --checkpoint m.pluma --input bad.txt
check "score of non-UTF-8 text: exit 1, offset given" "[ $rc -eq 1 ] && grep -q 'invalid UTF-8 at byte offset 0' e7.err"
run e8 probs --checkpoint m.pluma --depth 0
check "probs --depth 0: exit 2" "[ $rc -eq 2 ]"
run e9 generate --checkpoint m.pluma --frobnicate
check "unknown option: exit 2, named" "[ $rc -eq 2 ] && head -1 e9.err | grep -q 'frobnicate'"
exit $fails
