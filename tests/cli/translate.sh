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
  --tokenizer word --emb 16 --enc-hidden 24 --dec-hidden 32 --dropout 0 --batch-size 32 --lr 0.01 --max-epochs 10 \
  --seed 3 --out $TMP/m.pluma); rc=$?
check "training exits 0" "[ $rc -eq 0 ]"
check "training reports evaluations" "echo \"\$out\" | grep -q 'val BLEU'"
best=$(echo "$out" | tail -1 | sed -n 's/.*best val BLEU \([0-9.]*\).*/\1/p')
check "training learns the task (best val BLEU $best >= 90)" "awk 'BEGIN { exit !($best >= 90) }'"
check "checkpoint written" "[ -s $TMP/m.pluma ]"

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
out=$($TRAIN --tsv $TMP/train.tsv --valid-size 50 --separate-vocab --tokenizer word --emb 8 --enc-hidden 8 \
  --dec-hidden 8 --max-steps 6 --log-every 2 --out $TMP/tsv.pluma); rc=$?
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
exit $fails
