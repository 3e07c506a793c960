#!/bin/bash
# pluma train --model seq2seq and pluma translate end to end on a tiny synthetic task (reverse a word sequence
# and double each letter): training reaches it, greedy/beam/n-best/sampling/attention outputs, streaming, and
# the error messages.
PLUMA=$1
SRC=$2
set -u
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# the corpus: 1100 training and 100 validation pairs, "a b c" -> "CC BB AA"
awk 'BEGIN { srand(7); split("a b c d e f g h i j", w, " ");
  for (i = 0; i < 1200; i++) { n = 2 + int(rand() * 6); s = ""; t = "";
    for (k = 0; k < n; k++) { x = w[1 + int(rand() * 10)]; s = s (k ? " " : "") x; t = toupper(x x) (k ? " " : "") t }
    f = i < 1100 ? "train" : "val"; print s > ("'$TMP'/" f ".src"); print t > ("'$TMP'/" f ".tgt") } }'
check "corpus written" "[ \$(wc -l < $TMP/train.src) -eq 1100 ]"

TRAIN="$PLUMA train --model seq2seq"
out=$($TRAIN --src $TMP/train.src --tgt $TMP/train.tgt --valid-src $TMP/val.src --valid-tgt $TMP/val.tgt \
  --tokenizer word --embd 16 --hidden 24 --dec-hidden 32 --dropout 0 --batch 32 --lr 0.01 --max-epochs 10 \
  --seed 3 --out $TMP/m.pluma --metrics $TMP/m.jsonl); rc=$?
check "training exits 0" "[ $rc -eq 0 ]"
check "training reports evaluations" "echo \"\$out\" | grep -q 'val BLEU'"
best=$(echo "$out" | tail -1 | sed -n 's/.*best val BLEU \([0-9.]*\).*/\1/p')
check "training learns the task (best val BLEU $best >= 90)" "awk 'BEGIN { exit !($best >= 90) }'"
check "checkpoint written" "[ -s $TMP/m.pluma ]"
check "stops after 10 epochs (35 batches each)" "echo \"\$out\" | grep -q '^stopped at iteration 350: 10 epochs done$'"
check "progress lines show the epoch" "echo \"\$out\" | grep -Eq '^iter 300 \| epoch 8\.[0-9]{2} \| loss [0-9.]+ \|'"
check "metrics: 10 evaluations with val BLEU" "[ \$(grep -c '\"val_bleu\"' $TMP/m.jsonl) -eq 10 ]"
$PLUMA plot --metrics $TMP/m.jsonl --out $TMP/m.svg > /dev/null
check "plot draws the loss and the val BLEU" "grep -q 'data-name=\"val BLEU\"' $TMP/m.svg && grep -q 'data-name=\"batch loss\"' $TMP/m.svg"

out=$(printf 'a b c\nj i h g\n\nc c d\n' | $PLUMA translate --checkpoint $TMP/m.pluma --beam 1); rc=$?
check "greedy exits 0" "[ $rc -eq 0 ]"
check "one line out per line in, blank stays blank" "[ \"\$out\" = \"\$(printf 'CC BB AA\nGG HH II JJ\n\nDD CC CC')\" ]"
out5=$(printf 'a b c\nj i h g\n\nc c d\n' | $PLUMA translate --checkpoint $TMP/m.pluma --beam 5)
check "beam 5 agrees on an easy task" "[ \"\$out5\" = \"\$out\" ]"

out=$(printf 'a b c\nf e\n' | $PLUMA translate --checkpoint $TMP/m.pluma --beam 4 --n-best 3); rc=$?
check "n-best exits 0" "[ $rc -eq 0 ]"
check "n-best prints 3 lines per input" "[ \$(echo \"\$out\" | wc -l) -eq 6 ]"
check "n-best best first" "[ \"\$(echo \"\$out\" | head -1 | cut -d'|' -f4)\" = ' CC BB AA ' ]"
check "n-best scores descend" "echo \"\$out\" | head -3 | awk -F'[|][|][|]' 'NR > 1 && \$3 + 0 > prev + 0 { bad = 1 } { prev = \$3 } END { exit bad }'"

out=$(printf 'a b c d\n' | $PLUMA translate --checkpoint $TMP/m.pluma --sample --temperature 0.5 --seed 1 --scores); rc=$?
check "sampling exits 0" "[ $rc -eq 0 ]"
check "sampling prints translation<TAB>score" "echo \"\$out\" | grep -Eq \$'^[A-J ]+\t-[0-9.]+\$'"

# Into a closed pipe: translate ends at once (SIGPIPE, or exit 0) and says nothing.
for i in $(seq 1 20000); do echo "a b c d"; done > $TMP/many.src
timeout 60 $PLUMA translate --checkpoint $TMP/m.pluma < $TMP/many.src 2> $TMP/pipe.err | head -c 5 > /dev/null
rc=${PIPESTATUS[0]}
check "translate into a closed pipe ends at once, quietly (exit $rc)" "{ [ $rc -eq 0 ] || [ $rc -eq 141 ]; } && [ ! -s $TMP/pipe.err ]"
printf 'a b c d\nf e\n' | $PLUMA translate --checkpoint $TMP/m.pluma --attention $TMP/att.html > /dev/null
check "html attention written" "grep -q '<svg' $TMP/att.html && [ \$(grep -c '<rect' $TMP/att.html) -eq 26 ]"
printf 'a b\n' | $PLUMA translate --checkpoint $TMP/m.pluma --attention $TMP/att.svg > /dev/null
check "svg attention written" "head -2 $TMP/att.svg | grep -q '<svg' && grep -q '>a</text>' $TMP/att.svg"

# streaming: the answer to a line comes while stdin is still open
coproc TR { $PLUMA translate --checkpoint $TMP/m.pluma; }
echo "b a" >&"${TR[1]}"
line=""
read -t 60 -r line <&"${TR[0]}"
check "a line is answered before stdin closes" "[ \"\$line\" = 'AA BB' ]"
exec {TR[1]}>&-
wait

# a TSV with held-out validation pairs and one tokenizer per side
paste $TMP/train.src $TMP/train.tgt > $TMP/train.tsv
out=$($TRAIN --tsv $TMP/train.tsv --valid-size 50 --separate-vocab --tokenizer word --embd 8 --hidden 8 \
  --dec-hidden 8 --iters 6 --log-interval 2 --out $TMP/tsv.pluma); rc=$?
check "TSV training exits 0" "[ $rc -eq 0 ]"
check "TSV training holds out 50 pairs" "echo \"\$out\" | grep -q '1050 training pairs, 50 validation pairs'"
check "separate tokenizers" "echo \"\$out\" | grep -q 'word separate 15/15 pieces'"
check "TSV checkpoint translates" "[ \$(printf 'a b\nc\n' | $PLUMA translate --checkpoint $TMP/tsv.pluma | wc -l) -eq 2 ]"

err=$($PLUMA translate --checkpoint $TMP/nope.pluma 2>&1 < /dev/null); rc=$?
check "missing checkpoint exits 1" "[ $rc -eq 1 ]"
check "missing checkpoint is named" "echo \"\$err\" | grep -q 'cannot open checkpoint .*nope.pluma'"
err=$($PLUMA translate --checkpoint $TMP/m.pluma --n-best 7 2>&1 < /dev/null); rc=$?
check "n-best above beam exits 2" "[ $rc -eq 2 ]"
check "n-best above beam is explained" "echo \"\$err\" | head -1 | grep -q 'n-best must be in \[1, beam size 5\] (got 7)'"
err=$($PLUMA translate --checkpoint $TMP/m.pluma --attention $TMP/a.png 2>&1 < /dev/null); rc=$?
check "bad attention extension exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'must end in .html, .htm or .svg'"
err=$(printf 'a \xff b\n' | $PLUMA translate --checkpoint $TMP/m.pluma 2>&1 >/dev/null); rc=$?
check "invalid UTF-8 input exits 1" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'input line 1 is not valid UTF-8'"
err=$($TRAIN --src $TMP/train.src --valid-src $TMP/val.src --valid-tgt $TMP/val.tgt --max-epochs 1 --out $TMP/x.pluma 2>&1); rc=$?
check "--src without --tgt exits 2" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'src and --tgt go together'"
err=$($TRAIN --src $TMP/train.src --tgt $TMP/nope.tgt --max-epochs 1 --out $TMP/x.pluma 2>&1); rc=$?
check "missing training file exits 1" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'nope.tgt'"
# the options of the language models, and their meaning: --max-time takes minutes, --resume continues exactly
A="--src $TMP/train.src --tgt $TMP/train.tgt --valid-src $TMP/val.src --valid-tgt $TMP/val.tgt --tokenizer word --embd 8 --hidden 8 --dec-hidden 8 --batch 64 --threads 1"
out=$($TRAIN $A --max-time 0.05m --out $TMP/t.pluma); rc=$?
check "--max-time 0.05m is 3 seconds" "[ $rc -eq 0 ] && echo \"\$out\" | grep -Eq '^stopped at iteration [0-9]+: time budget of 3 s reached; continue with: pluma train --resume .*t.pluma$'"
$TRAIN $A --iters 30 --eval-interval 10 --log-interval 1 --out $TMP/straight.pluma --metrics $TMP/straight.jsonl > /dev/null
$TRAIN $A --iters 12 --eval-interval 10 --log-interval 1 --out $TMP/split.pluma --metrics $TMP/split.jsonl > /dev/null
out=$($TRAIN --resume $TMP/split.pluma --iters 30 --max-time 80m --metrics $TMP/split.jsonl --threads 1); rc=$?
check "resume exits 0 and says where" "[ $rc -eq 0 ] && echo \"\$out\" | grep -q 'resuming from .*split.pluma at iteration 12 of 30'"
losses() { grep -o '"loss":[^,]*' "$1"; }
err=$($TRAIN --resume $TMP/split.pluma --iters 30 --tokenizer bpe 2>&1); rc=$?
check "resume: a contradicting option names both values" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q -- \"--tokenizer bpe contradicts the checkpoint's word; a resumed run uses the checkpoint's tokenizers (leave out --tokenizer)\""
err=$($TRAIN --resume $TMP/split.pluma --iters 30 --hidden 12 2>&1); rc=$?
check "resume: a model's shape stays" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q -- \"--hidden 12 contradicts the checkpoint's 8\""
check "12 + 18 steps equal 30 straight (losses)" "[ -n \"\$(losses $TMP/split.jsonl)\" ] && [ \"\$(losses $TMP/split.jsonl)\" = \"\$(losses $TMP/straight.jsonl)\" ]"
check "12 + 18 steps equal 30 straight (val BLEU)" "[ \"\$(grep -o '\"val_bleu\":[^,]*' $TMP/split.jsonl)\" = \"\$(grep -o '\"val_bleu\":[^,]*' $TMP/straight.jsonl)\" ]"
for old in "--batch-size 32:--batch" "--clip 1:--grad-clip" "--max-steps 5:--iters" "--eval-every 5:--eval-interval" "--log-every 5:--log-interval" "--emb 8:--embd"; do
  err=$($TRAIN $A ${old%%:*} --out $TMP/x.pluma 2>&1); rc=$?
  check "old option ${old%% *} exits 2 naming ${old##*:}" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q -- \"unknown option '\${old%% *}' (did you mean '\${old##*:}'?)\""
done
err=$($TRAIN $A --context 32 --out $TMP/x.pluma 2>&1); rc=$?
check "a language model's option is refused" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q -- '--context applies to the language models (--model gpt or lstm) only; leave it out for a seq2seq'"
err=$($PLUMA train --src $TMP/train.src --tgt $TMP/train.tgt --out $TMP/x.pluma 2>&1); rc=$?
check "a translator's option is refused for a gpt" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q -- '--src applies to --model seq2seq only; leave it out for a gpt'"
err=$($TRAIN --src $TMP/train.src --tgt $TMP/train.tgt --out $TMP/x.pluma 2>&1); rc=$?
check "no limit: exits 2 and names the options" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'give a limit: --iters, --max-epochs or --max-time'"
err=$($TRAIN $A --max-epochs 1 --lr-schedule cosine --out $TMP/x.pluma 2>&1); rc=$?
check "cosine without a step count: exits 2 and says what to give" "[ $rc -eq 2 ] && echo \"\$err\" | head -1 | grep -q 'give --iters or --lr-decay-iters'"
# a kill -9 at any moment leaves the last checkpoint whole: it loads and resumes
$TRAIN $A --iters 100000 --eval-interval 100000 --checkpoint-interval 5 --out $TMP/k.pluma > $TMP/k.out 2>&1 &
kp=$!
for i in $(seq 300); do [ "$(grep -c '^saved ' $TMP/k.out)" -ge 2 ] && break; sleep 0.1; done
kill -9 $kp; wait $kp 2>/dev/null
out=$($TRAIN --resume $TMP/k.pluma --max-time 2s --threads 1); rc=$?
check "killed with -9: the last checkpoint resumes" "[ $rc -eq 0 ] && echo \"\$out\" | grep -Eq 'resuming from .*k.pluma at iteration [1-9][0-9]* of 100000'"
exit $fails
