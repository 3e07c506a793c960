#!/bin/bash
# pluma embed end to end: nearest / analogy / eval / map on a hand-made vectors file with known
# answers, train on a synthetic corpus with planted groups (text and binary output read back),
# and bad inputs with their one-line messages and exit codes (1: data, 2: usage).
PLUMA=$1
SRC=$2
set -u
W=$(mktemp -d /tmp/pluma_cli_embed.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
run() { local n=$1; shift; "$PLUMA" "$@" >"$n.out" 2>"$n.err"; rc=$?; }

cat > v.txt <<'V'
6 3
man 0 1 0.1
woman 0 -1 0.1
king 1 1 0
queen 1 -1 0
prince 0.9 0.9 0.1
apple 0 0 1
V

run n embed nearest --vectors v.txt --word king --top 2
check "nearest exits 0" "[ $rc -eq 0 ]"
check "nearest: prince first" "sed -n 2p n.out | grep -q '^prince *0.99'"
check "nearest: two answers" "[ \$(wc -l < n.out) -eq 3 ]"
run nj embed nearest --vectors v.txt --word KING --json
check "nearest is case-insensitive, JSON answers" "grep -q '\"word\": \"prince\"' nj.out && grep -q '\"similarity\"' nj.out"
run a embed analogy --vectors v.txt "king - man + woman" --top 1
check "analogy: queen" "[ $rc -eq 0 ] && sed -n 2p a.out | grep -q '^queen '"
run am embed analogy --vectors v.txt "king - man + woman" --method mul --json
check "analogy by 3CosMul: queen first, query words excluded" \
  "grep -o '\"word\": \"[a-z]*\"' am.out | head -1 | grep -q queen && ! grep -q '\"word\": \"king\"' am.out"

printf ': royal\nman king woman queen\nman king woman apple\nman king unicorn queen\n' > q.txt
run e embed eval --vectors v.txt --questions q.txt --json
check "eval exits 0" "[ $rc -eq 0 ]"
check "eval counts: 3 asked, 2 answered, 1 correct" \
  "tr -d ' \n' < e.out | grep -q '\"total\":{\"accuracy\":0.5,\"answered\":2,\"asked\":3,\"correct\":1,\"coverage\":0.666'"
run et embed eval --vectors v.txt --questions q.txt
check "eval table has the section and the total" "grep -q '^royal ' et.out && grep -q '^total .* 50.0%' et.out"

run m embed map --vectors v.txt --analogy "king - man + woman" --words apple --out map.svg
check "map writes an SVG with labels and two arrows" \
  "[ $rc -eq 0 ] && grep -q '>queen</text>' map.svg && [ \$(grep -c '<line' map.svg) -eq 2 ]"

# planted groups: g0w* words only co-occur with g0w*, etc.
awk 'BEGIN { srand(11); for (s = 0; s < 1500; s++) { g = int(rand() * 5); line = "";
       for (i = 0; i < 8; i++) line = line (i ? " " : "") "g" g "w" int(rand() * 6); print line } }' > corpus.txt
T="--input corpus.txt --dim 16 --window 3 --min-count 1 --sample 0 --epochs 5 --threads 1 --seed 3"
run t embed train $T --out w.txt
check "train exits 0" "[ $rc -eq 0 ]"
check "train shows the words/s and ETA" "grep -q 'words/s.*ETA' t.err"
check "train writes the text format" "head -1 w.txt | grep -q '^30 16$'"
run tn embed nearest --vectors w.txt --word g2w0 --top 5
check "trained: the 5 nearest of g2w0 are its group" "[ \$(tail -n +2 tn.out | grep -c '^g2w') -eq 5 ]"
run tb embed train $T --out w.bin --binary --quiet
check "binary: 30 rows of word, space, 16 float32, newline" "[ $rc -eq 0 ] && [ \$(wc -c < w.bin) -eq \$((6 + 30 * (4 + 1 + 64 + 1))) ]"
run tbn embed nearest --vectors w.bin --word g2w0 --top 5
check "binary reads back with the same answers" "cmp -s tn.out tbn.out"
run tc embed train $T --model cbow --out c.txt --quiet
run tcn embed nearest --vectors c.txt --word g4w1 --top 5
check "cbow learns the groups too" "[ \$(tail -n +2 tcn.out | grep -c '^g4w') -eq 5 ]"

printf '¿Rey, REY?\n"rey" -- rey.\n' > punct.txt
run nz embed train --input punct.txt --normalize --min-count 1 --dim 4 --epochs 1 --out nz.txt --quiet
check "--normalize: one word, 'rey', four times" "[ $rc -eq 0 ] && head -1 nz.txt | grep -q '^1 4$' && grep -q '^rey ' nz.txt"

# a checkpoint's token embedding table: a tiny word-level GPT trained for two steps on the planted corpus
"$PLUMA" train --data corpus.txt --tokenizer word --layers 1 --heads 1 --embd 8 --context 8 --batch 2 --iters 2 \
  --eval-interval 100 --eval-iters 1 --threads 1 --out m.pluma >/dev/null 2>&1
check "tiny checkpoint trained" "[ -s m.pluma ]"
run ck embed nearest --vectors m.pluma --word g1w1 --top 3 --json
check "nearest on a checkpoint: its pieces are the words" \
  "[ $rc -eq 0 ] && grep -q '\"word\": \"g1w1\"' ck.out && [ \$(grep -c '\"similarity\"' ck.out) -eq 3 ]"
run cks embed map --vectors m.pluma --words "g0w0,g1w1,g2w2" --out ck.svg
check "map on a checkpoint" "[ $rc -eq 0 ] && [ \$(grep -c '<circle' ck.svg) -eq 3 ]"

# bad input: data errors exit 1, usage errors exit 2, one line each
printf 'not a header\nx 1 2\n' > bad1.txt
run b1 embed nearest --vectors bad1.txt --word x
check "wrong header: exit 1, named" "[ $rc -eq 1 ] && grep -q \"line 1: expected the header 'count dim'\" b1.err && [ \$(wc -l < b1.err) -eq 1 ]"
printf '2 2\nx 1 2\ny 1\n' > bad2.txt
run b2 embed nearest --vectors bad2.txt --word x
check "ragged row: exit 1, line named" "[ $rc -eq 1 ] && grep -q \"line 3: expected 2 values after 'y', got 1\" b2.err && [ \$(wc -l < b2.err) -eq 1 ]"
: > empty.txt
run b3 embed train --input empty.txt --out z.txt
check "empty corpus: exit 1" "[ $rc -eq 1 ] && grep -q 'no words' b3.err && [ \$(wc -l < b3.err) -eq 1 ]"
run b4 embed nearest --vectors v.txt --word unicorn
check "unknown word: exit 1, named" "[ $rc -eq 1 ] && grep -q \"unknown word 'unicorn'\" b4.err && [ \$(wc -l < b4.err) -eq 1 ]"
run b5 embed analogy --vectors v.txt "king - - man"
check "malformed analogy: exit 2, first line says so" "[ $rc -eq 2 ] && head -1 b5.err | grep -q 'malformed analogy'"
run b6 embed analogy --vectors v.txt "king - unicorn + woman"
check "unknown analogy word: exit 1" "[ $rc -eq 1 ] && grep -q \"'unicorn'\" b6.err"
run b7 embed train --input corpus.txt --out z.txt --window 0
check "bad option value: exit 2" "[ $rc -eq 2 ] && head -1 b7.err | grep -q -- '--window'"
run b8 embed frobnicate
check "unknown subcommand: exit 2" "[ $rc -eq 2 ] && head -1 b8.err | grep -q \"unknown subcommand 'frobnicate'\""
run b9 embed nearest --word king
check "missing --vectors: exit 2" "[ $rc -eq 2 ] && head -1 b9.err | grep -q -- '--vectors'"
run b10 embed eval --vectors v.txt --questions nowhere-questions.txt
check "missing questions file: exit 1" "[ $rc -eq 1 ]"
exit $fails
