#!/bin/bash
# pluma train / pluma plot end to end on tiny models: logs and checkpoints, exact resume, determinism, presets,
# the time budget, a NaN stop, and the bad inputs with their messages and exit codes.
PLUMA=$1
SRC=$2
set -u
export PLUMA_DATA="$SRC/../shared/data"
W=$(mktemp -d /tmp/pluma_cli_train.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
# run NAME ARGS...: stdout in NAME.out, stderr in NAME.err, exit code in $rc
run() { local n=$1; shift; "$PLUMA" "$@" >"$n.out" 2>"$n.err"; rc=$?; }
first_err() { head -1 "$1.err"; }
# the loss lines of a metrics log without the timing field
losses() { grep '"loss"' "$1" | sed 's/,"tokens_per_s":[^}]*//'; }
# the tensor bytes of a .pluma file (after the 8-byte length and the JSON header)
tensors() { local n; n=$(od -An -tu8 -N8 "$1" | tr -d ' '); tail -c +$((9 + n)) "$1" | md5sum; }

TINY="--layers 2 --heads 2 --embd 32 --context 16 --batch 4 --eval-interval 5 --eval-iters 2 --log-interval 1 --warmup 3"

# ---- bf16 matmuls: said at the start; the first losses are the fp32 run's to bfloat16's precision
run bf16 train $TINY --iters 4 --out bf16.pluma --metrics bf16.jsonl --threads 1 --precision bf16
run fp32 train $TINY --iters 4 --out fp32.pluma --metrics fp32.jsonl --threads 1
check "--precision bf16 trains and says so" "[ $rc -eq 0 ] && grep -q '^precision: matmul operands in bf16' bf16.out"
# the loss of every logged step, one per line
step_losses() { grep -o '"loss":[-0-9.e]*' "$1" | cut -d: -f2; }
check "--precision bf16: the losses are fp32's within 1%, not the same bits" \
  "paste <(step_losses bf16.jsonl) <(step_losses fp32.jsonl) | awk '{n++; d = \$1 - \$2; if (d < 0) d = -d; if (d > 0.01 * \$2) bad = 1; if (\$1 != \$2) differ = 1} END {exit !(n == 4 && !bad && differ)}'"

# ---- lanes: one per thread, said at the start; the count rides in the checkpoint, and a resume on one thread
# continues the two-lane run exactly
run lanes train $TINY --iters 6 --out lanes.pluma --metrics lanes.jsonl --threads 2
check "two threads train a gpt in two lanes and say so" "[ $rc -eq 0 ] && grep -q ', 2 threads (2 lanes: each thread its own rows)$' lanes.out"
run lanes3 train $TINY --iters 3 --lr-decay-iters 6 --out lanes3.pluma --metrics lanes3.jsonl --threads 2
run lanes_resume train --resume lanes3.pluma --iters 6 --threads 1 --metrics lanes3.jsonl
check "a two-lane run resumed on one thread keeps its lanes" "[ $rc -eq 0 ] && grep -q ', 1 thread (2 lanes, in turn)$' lanes_resume.out"
check "... and continues exactly" "[ \"\$(losses lanes.jsonl)\" = \"\$(losses lanes3.jsonl)\" ] && [ \"\$(tensors lanes.pluma)\" = \"\$(tensors lanes3.pluma)\" ]"
run nolanes train $TINY --iters 2 --out nolanes.pluma --threads 2 --lanes 1
check "--lanes 1: no lanes" "[ $rc -eq 0 ] && grep -q ', 2 threads$' nolanes.out"

# ---- a small run: progress, evaluations, checkpoints, metrics, plot
run basic train $TINY --iters 12 --out basic.pluma --metrics basic.jsonl --threads 1
check "a small run exits 0" "[ $rc -eq 0 ]"
check "it reports the data" "grep -q '^data: .*tinyshakespeare.txt: 1003854 train / 111540 val tokens; tokenizer char, trained on the corpus (69 tokens)' basic.out"
check "it reports the model" "grep -q '^model: gpt (bias true, context 16, dropout 0, embd 32, heads 2, layers 2), [0-9,]* parameters' basic.out"
check "progress lines (not a terminal: plain lines)" "grep -Eq '^iter 11/12 \| loss [0-9.]+ \| lr [0-9.e+-]+ \| [0-9.k]+ tok/s \| ETA [0-9]+s$' basic.out"
check "evaluations at 0, 5, 10 and the end" "[ \"\$(grep -o '^eval [0-9]*' basic.out | tr '\n' ' ')\" = 'eval 0 eval 5 eval 10 eval 12 ' ]"
check "checkpoints at the evaluations and the end" "[ \"\$(grep -o '^saved basic.pluma (iteration [0-9]*' basic.out | grep -o '[0-9]*$' | tr '\n' ' ')\" = '5 10 12 ' ]"
check "the summary line" "grep -Eq '^done: 12 iterations, train loss [0-9.]+, val loss [0-9.]+; checkpoint basic.pluma$' basic.out"
check "the checkpoint exists" "[ -s basic.pluma ]"
check "metrics: 12 step lines" "[ \$(grep -c '\"loss\"' basic.jsonl) -eq 12 ]"
check "metrics: 4 evaluation lines with both losses" "[ \$(grep -c '\"train_loss\":[0-9.]*,\"val_loss\":[0-9.]*,\"lr\"' basic.jsonl) -eq 4 ]"
check "metrics: step lines have iter, loss, lr, tokens_per_s" "grep -Eq '^\{\"iter\":3,\"loss\":[0-9.]+,\"lr\":[0-9.e-]+,\"tokens_per_s\":[0-9.e+]+\}$' basic.jsonl"
run plot plot --metrics basic.jsonl --out loss.svg
check "plot exits 0" "[ $rc -eq 0 ]"
check "plot reports" "grep -q '^wrote loss.svg (16 records, 4 evaluations)' plot.out"
check "plot writes an SVG with three curves" "[ \$(grep -c '<polyline' loss.svg) -eq 3 ] && tail -1 loss.svg | grep -q '</svg>'"
run plot_missing plot --metrics nothing.jsonl --out x.svg
check "plot of a missing log exits 1" "[ $rc -eq 1 ]"
check "plot of a missing log says so" "first_err plot_missing | grep -q \"^pluma: cannot open metrics file 'nothing.jsonl'\""

# ---- a directory prepared by pluma prepare (token shards) with its tokenizer file
"$PLUMA" tokenizer train --kind char --input tinyshakespeare --out ts.tok >/dev/null 2>&1
"$PLUMA" prepare --tokenizer ts.tok --input tinyshakespeare --out prep >/dev/null 2>&1
run prep train $TINY --iters 3 --data prep --tokenizer ts.tok --out prep.pluma --threads 1
check "prepared data: trains" "[ $rc -eq 0 ] && grep -q \"^data: prep: 1003854 train / 111540 val tokens; tokenizer char, from 'ts.tok' (69 tokens)\" prep.out"
run prep_kind train $TINY --iters 3 --data prep --out prep.pluma
check "prepared data with a tokenizer kind: exits 1 with what to give" "[ $rc -eq 1 ] && first_err prep_kind | grep -q \"^pluma: the prepared data directory 'prep' was encoded by a tokenizer file: give it with --tokenizer FILE (not a kind)$\""

# ---- exact resume: 10 + 10 iterations (dropout on, one thread) equal 20 straight, bit for bit
R="$TINY --dropout 0.1 --threads 1"
run straight train $R --iters 20 --out straight.pluma --metrics straight.jsonl
run part1 train $R --iters 10 --lr-decay-iters 20 --out split.pluma --metrics split.jsonl
run part2 train --resume split.pluma --iters 20 --metrics split.jsonl --threads 1
check "the resumed run exits 0" "[ $rc -eq 0 ]"
check "the resumed run says where it starts" "grep -q '^resuming from split.pluma at iteration 10 of 20$' part2.out"
check "the resumed run takes its tokenizer from the checkpoint" "grep -q 'tokenizer char, from the checkpoint' part2.out"
check "20 loss lines" "[ \$(losses split.jsonl | wc -l) -eq 20 ]"
check "resumed losses equal the straight run's bit for bit" "[ \"\$(losses split.jsonl)\" = \"\$(losses straight.jsonl)\" ]"
check "the resumed checkpoint equals the straight one byte for byte" "cmp -s split.pluma straight.pluma"

# ---- a resume takes the options people type: those that agree with the checkpoint (a preset included) and
# those that may change; it refuses only a contradiction, naming the option, the checkpoint's value and the given
run bp1 train --preset baby --iters 2 --eval-interval 2 --eval-iters 1 --out bp.pluma --threads 1
run bp2 train --resume bp.pluma --preset baby --layers 4 --embd 128 --iters 4 --max-time 10m --threads 1 --out bp2.pluma \
  --metrics bp.jsonl --eval-interval 1 --log-interval 1 --checkpoint-interval 1
check "resume with the checkpoint's preset and agreeing options: exits 0" "[ $rc -eq 0 ] && grep -q '^resuming from bp.pluma at iteration 2 of 4$' bp2.out"
check "resume: --out, --metrics and the intervals take effect" "[ -s bp2.pluma ] && [ \$(grep -c '\"loss\"' bp.jsonl) -eq 2 ] && [ \$(grep -c '\"val_loss\"' bp.jsonl) -eq 3 ]"
usage_resume() {  # usage_resume NAME EXPECTED_FIRST_LINE ARGS...
  local n=$1 msg=$2; shift 2
  run "$n" train --resume bp.pluma --iters 4 "$@"
  check "$n: exits 2" "[ $rc -eq 2 ]"
  check "$n: message" "[ \"\$(first_err $n)\" = \"pluma: $msg\" ]"
}
usage_resume resume_preset "--preset sets --layers 6, which contradicts the checkpoint's 4; a resumed run keeps the model's shape (leave out --preset)" --preset shakespeare-char
usage_resume resume_dropout "--dropout 0.2 contradicts the checkpoint's 0; a resumed run keeps the model's shape (leave out --dropout)" --dropout 0.2
usage_resume resume_model "--model lstm contradicts the checkpoint's gpt; a resumed run keeps the model's shape (leave out --model)" --model lstm

# ---- the same seed and thread count give the same run; another seed does not
D="$TINY --dropout 0.1 --threads 2 --iters 8"
run d1 train $D --out d1.pluma
run d2 train $D --out d2.pluma
run d3 train $D --out d3.pluma --seed 7
check "same seed, 2 threads: identical checkpoints" "cmp -s d1.pluma d2.pluma"
check "another seed: other weights" "[ \"\$(tensors d1.pluma)\" != \"\$(tensors d3.pluma)\" ]"

# ---- presets, and options beside them
run baby train --preset baby --iters 1 --eval-iters 1 --out baby.pluma
check "preset baby: the reference recipe's shape (69 tokens: 65 characters and 4 specials)" "grep -q '^model: gpt (bias true, context 64, dropout 0, embd 128, heads 4, layers 4), 810,368 parameters.*batch 12 x 64 tokens' baby.out"
run sc train --preset shakespeare-char --layers 1 --embd 48 --context 32 --batch 2 --iters 1 --eval-iters 1 --out sc.pluma
check "preset shakespeare-char with overrides" "grep -q '^model: gpt (bias true, context 32, dropout 0.2, embd 48, heads 6, layers 1),.*batch 2 x 32 tokens' sc.out"

# ---- a time budget stops cleanly and saves
run budget train $TINY --iters 1000000 --max-time 1s --out budget.pluma --threads 1
check "time budget: exits 0" "[ $rc -eq 0 ]"
check "time budget: says why it stopped and how to continue" "grep -Eq '^stopped at iteration [0-9]+ of 1000000: time budget of 1 s reached; continue with: pluma train --resume budget.pluma$' budget.out"
check "time budget: the checkpoint is saved" "[ -s budget.pluma ]"

# ---- NaN: stop with a message; the checkpoint resumed from stays as it was and still trains
cp split.pluma good.pluma
cp good.pluma good_before.pluma
run nan train --resume good.pluma --iters 30 --lr 1e30 --lr-schedule constant --warmup 0 --grad-clip 0 --checkpoint-interval 1 --threads 1
check "NaN: exits 1" "[ $rc -eq 1 ]"
check "NaN: says what happened and what is kept" "first_err nan | grep -Eq \"^pluma: the loss became (NaN|infinite) at iteration 2[1-9] \(lr [0-9.e+]+\); training stopped before the update; the checkpoint resumed from, 'good.pluma', is unchanged; try a lower --lr or a tighter --grad-clip$\""
check "NaN: no checkpoint of bad parameters was written" "cmp -s good.pluma good_before.pluma"
check "NaN: the kept checkpoint trains on" "\"$PLUMA\" train --resume good.pluma --iters 22 --threads 1 >/dev/null 2>&1"

# ---- usage errors: exit 2, one line naming the option
usage() {  # usage NAME EXPECTED_FIRST_LINE ARGS...
  local n=$1 msg=$2; shift 2
  run "$n" train $TINY --iters 1 "$@"
  check "$n: exits 2" "[ $rc -eq 2 ]"
  check "$n: message" "[ \"\$(first_err $n)\" = \"pluma: $msg\" ]"
}
usage heads "--heads (3) must divide --embd (32) so that every head has the same width" --heads 3
usage neg_lr "--lr must be positive (got -0.001)" --lr -0.001
usage zero_batch "--batch must be positive (got 0)" --batch 0
usage precision "--precision: expected fp32 or bf16 (got 'fp16')" --precision fp16
usage accum "--batch (4) must be divisible by --grad-accum (3): each micro-batch has batch/grad-accum sequences" --grad-accum 3
usage dropout "--dropout must be in [0, 1) (got 1.5)" --dropout 1.5
usage duration "--max-time: bad duration '10x'; use a number of seconds with an optional suffix s, m or h (e.g. 90s, 10m, 1.5h)" --max-time 10x
usage preset "unknown preset 'huge' (expected one of: baby, shakespeare-char, char-rnn-small, char-rnn, multi30k, tatoeba-en-es)" --preset huge
usage optimizer "--optimizer: unknown optimizer 'sgd' (expected adamw or adam)" --optimizer sgd
usage resume_shape "--layers 3 contradicts the checkpoint's 2; a resumed run keeps the model's shape (leave out --layers)" --resume split.pluma --layers 3

# ---- runtime errors: exit 1, a message that says what to do
runtime() {  # runtime NAME EXPECTED_FIRST_LINE_REGEX ARGS...
  local n=$1 re=$2; shift 2
  run "$n" train "$@"
  check "$n: exits 1" "[ $rc -eq 1 ]"
  check "$n: message" "first_err $n | grep -Eq \"\$re\""
}
printf 'hello world\n' > tiny.txt
runtime short_corpus "^pluma: the training split: corpus of 10 tokens is shorter than the context T\+1 = 17" $TINY --data tiny.txt --out x.pluma
runtime short_val "^pluma: the validation split: .* \(or a larger --val-fraction\)$" $TINY --context 8 --data tiny.txt --out x.pluma
runtime no_corpus "^pluma: corpus file '/nonexistent/x.txt' not found" $TINY --data /nonexistent/x.txt
runtime bad_tok_arg "^pluma: --tokenizer 'nope' is neither a tokenizer kind \(char, word, bpe, unigram\) nor an existing tokenizer file or checkpoint$" $TINY --tokenizer nope
runtime too_big "^pluma: the model needs about [0-9.]+ GiB to train \(parameters, gradients, optimizer moments and activations at micro-batch 64, context 2048\) but only [0-9.]+ (GiB|MiB) of memory is available; use a smaller model" --layers 48 --heads 64 --embd 8192 --context 2048 --batch 64
check "too big: refused before allocating (no checkpoint)" "[ ! -e model.pluma ]"
"$PLUMA" tokenizer train --kind char --input tiny.txt --out other.tok >/dev/null 2>&1
runtime resume_tok_file "^pluma: the tokenizer file 'other.tok' \(char, 13 tokens, hash [0-9a-f]{16}\) differs from the checkpoint's \(char, 69 tokens, hash [0-9a-f]{16}\); a resumed run uses the checkpoint's tokenizer \(leave out --tokenizer\)$" --resume split.pluma --iters 30 --tokenizer other.tok
runtime resume_tok_kind "^pluma: --tokenizer word differs from the checkpoint's tokenizer kind \(char\); a resumed run uses the checkpoint's tokenizer \(leave out --tokenizer\)$" --resume split.pluma --iters 30 --tokenizer word
runtime resume_done "^pluma: 'split.pluma' is already at iteration 20 of --iters 20; give a larger --iters to train further$" --resume split.pluma
head -c 3000 split.pluma > trunc.pluma
runtime resume_trunc "^pluma: .*trunc.pluma.*truncated" --resume trunc.pluma --iters 30
runtime resume_missing "^pluma: .*nothing.pluma" --resume nothing.pluma --iters 30

exit $fails
