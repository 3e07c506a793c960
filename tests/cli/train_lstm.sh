#!/bin/bash
# pluma train --model lstm end to end on tiny models: the LSTM defaults, both samplers, exact resume with the
# carried state, presets with overrides, word tokens, gradient accumulation, generate / probs / score on the
# checkpoint, and the bad options with their messages and exit codes.
PLUMA=$1
SRC=$2
set -u
export PLUMA_DATA="$SRC/../shared/data"
W=$(mktemp -d /tmp/pluma_cli_train_lstm.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
# run NAME ARGS...: stdout in NAME.out, stderr in NAME.err, exit code in $rc
run() { local n=$1; shift; "$PLUMA" "$@" >"$n.out" 2>"$n.err"; rc=$?; }
first_err() { head -1 "$1.err"; }
# the loss lines of a metrics log without the timing field
losses() { grep '"loss"' "$1" | sed 's/,"tokens_per_s":[^}]*//'; }
# the JSON header of a .pluma file
header() { local n; n=$(od -An -tu8 -N8 "$1" | tr -d ' '); head -c $((8 + n)) "$1" | tail -c "$n"; }

TINY="--model lstm --layers 2 --hidden 16 --seq-len 16 --batch 4 --eval-interval 5 --eval-iters 2 --log-interval 1 --threads 1"

# ---- the stream sampler (the lstm default) and char-rnn's defaults
run stream train $TINY --iters 6 --out stream.pluma
check "stream: exits 0" "[ $rc -eq 0 ]"
check "stream: the model line names the lstm shape and the sampler" "grep -q '^model: lstm (carry_state true, dropout 0, embd 16, hidden 16, layers 2, tie_weights false), 6,629 parameters, about .* to train; batch 4 x 16 tokens from contiguous streams (state carried), 1 thread$' stream.out"
check "stream: constant lr 2e-3 from the first step (no warmup)" "grep -q '^iter 0/6 | loss [0-9.]* | lr 2.00e-03 |' stream.out && grep -q '^iter 5/6 | loss [0-9.]* | lr 2.00e-03 |' stream.out"
check "stream: evaluations at 0, 5, 6" "[ \"\$(grep -o '^eval [0-9]*' stream.out | tr '\n' ' ')\" = 'eval 0 eval 5 eval 6 ' ]"
check "stream: the checkpoint holds the carried state (layers, batch, hidden)" "header stream.pluma | grep -q '\"training.state.h\":{\"data_offsets\":\[[0-9]*,[0-9]*\],\"dtype\":\"F32\",\"shape\":\[2,4,16\]}'"
check "stream: the saved settings: adam, clip 5, stream" "header stream.pluma | grep -q 'optimizer.*adam' && header stream.pluma | grep -q 'grad_clip.*5' && header stream.pluma | grep -q 'sampler.*stream'"
run embd train $TINY --embd 8 --iters 1 --out embd.pluma
check "--embd sets the embedding width apart from --hidden" "[ $rc -eq 0 ] && grep -q '^model: lstm (carry_state true, dropout 0, embd 8, hidden 16, layers 2, tie_weights false)' embd.out"

# ---- random windows: zero state per window, nothing carried
run windows train $TINY --sampler windows --iters 6 --out windows.pluma
check "windows: exits 0" "[ $rc -eq 0 ]"
check "windows: the model line says so" "grep -q '^model: lstm (carry_state false, .*batch 4 x 16 tokens from random windows (zero state), 1 thread$' windows.out"
check "windows: no carried state in the checkpoint" "! header windows.pluma | grep -q 'training.state'"
check "windows and stream train differently" "[ \"\$(grep '^iter 5/' windows.out | cut -d'|' -f2)\" != \"\$(grep '^iter 5/' stream.out | cut -d'|' -f2)\" ]"

# ---- lanes, when asked: random windows only; a two-lane run resumed on one thread continues exactly
run wlanes train $TINY --sampler windows --iters 6 --threads 2 --lanes 2 --out wlanes.pluma --metrics wlanes.jsonl
check "windows, --lanes 2: said at the start" "[ $rc -eq 0 ] && grep -q ', 2 threads (2 lanes: each thread its own rows)$' wlanes.out"
run wdefault train $TINY --sampler windows --iters 1 --threads 2 --out wdefault.pluma
check "windows: no lanes unless asked" "[ $rc -eq 0 ] && grep -q ', 2 threads$' wdefault.out"
run wl1 train $TINY --sampler windows --iters 3 --lr-decay-iters 6 --threads 2 --lanes 2 --out wl1.pluma --metrics wl1.jsonl
run wl2 train --resume wl1.pluma --iters 6 --threads 1 --metrics wl1.jsonl
check "windows, --lanes 2: resumed on one thread, exactly" "[ $rc -eq 0 ] && grep -q ', 1 thread (2 lanes, in turn)$' wl2.out && [ \"\$(losses wlanes.jsonl)\" = \"\$(losses wl1.jsonl)\" ]"

# ---- exact resume: 6 + 6 iterations (dropout on, one thread, stream sampler) equal 12 straight, bit for bit
R="$TINY --dropout 0.1 --lr-decay-iters 12"
run straight train $R --iters 12 --out straight.pluma --metrics straight.jsonl
run part1 train $R --iters 6 --out split.pluma --metrics split.jsonl
run part2 train --resume split.pluma --iters 12 --metrics split.jsonl --threads 1
check "the resumed run exits 0" "[ $rc -eq 0 ]"
check "the resumed run says where it starts" "grep -q '^resuming from split.pluma at iteration 6 of 12$' part2.out"
check "the resumed run keeps the stream sampler" "grep -q 'from contiguous streams (state carried)' part2.out"
check "12 loss lines" "[ \$(losses split.jsonl | wc -l) -eq 12 ]"
check "resumed losses equal the straight run's bit for bit" "[ \"\$(losses split.jsonl)\" = \"\$(losses straight.jsonl)\" ]"
check "the resumed checkpoint equals the straight one byte for byte" "cmp -s split.pluma straight.pluma"
# the windows sampler resumes exactly too
run wstraight train $TINY --sampler windows --iters 8 --lr-decay-iters 8 --out wstraight.pluma
run wpart1 train $TINY --sampler windows --iters 4 --lr-decay-iters 8 --out wsplit.pluma
run wpart2 train --resume wsplit.pluma --iters 8 --threads 1
check "windows: the resumed checkpoint equals the straight one" "[ $rc -eq 0 ] && cmp -s wsplit.pluma wstraight.pluma"

# ---- gradient accumulation with the stream sampler (each micro-batch keeps its streams' state)
run accum train $TINY --grad-accum 2 --iters 3 --out accum.pluma
check "grad-accum 2 on streams: exits 0" "[ $rc -eq 0 ] && grep -q 'batch 4 x 16 tokens in 2 micro-batches from contiguous streams' accum.out"

# ---- presets, and options beside them
run small train --preset char-rnn-small --hidden 16 --seq-len 8 --batch 2 --iters 1 --eval-iters 1 --out small.pluma --threads 1
check "preset char-rnn-small with overrides" "[ $rc -eq 0 ] && grep -q '^model: lstm (carry_state true, dropout 0, embd 16, hidden 16, layers 2, tie_weights false),.*batch 2 x 8 tokens' small.out"
check "preset char-rnn-small: lr 2e-3" "grep -q '^iter 0/1 | loss [0-9.]* | lr 2.00e-03 |' small.out"
run big train --preset char-rnn --seq-len 8 --batch 2 --iters 1 --eval-iters 1 --out big.pluma --threads 1
check "preset char-rnn: 3x512, dropout 0.5 (69 tokens: 65 characters and 4 specials)" "[ $rc -eq 0 ] && grep -q '^model: lstm (carry_state true, dropout 0.5, embd 512, hidden 512, layers 3, tie_weights false), 6,374,469 parameters.*batch 2 x 8 tokens' big.out"
run bigw train --preset char-rnn --hidden 16 --sampler windows --optimizer adamw --grad-clip 1 --iters 1 --eval-iters 1 --seq-len 8 --batch 2 --out bigw.pluma --threads 1
check "preset char-rnn with --hidden, --sampler, --optimizer, --grad-clip" "[ $rc -eq 0 ] && grep -q '^model: lstm (carry_state false, dropout 0.5, embd 16, hidden 16, layers 3' bigw.out && header bigw.pluma | grep -q 'optimizer.*adamw'"

# ---- word tokens on a small text
for i in $(seq 60); do echo "en un lugar de la mancha de cuyo nombre no quiero acordarme no ha mucho tiempo que vivia un hidalgo"; done > words.txt
run word train $TINY --data words.txt --tokenizer word --seq-len 8 --iters 4 --out word.pluma
check "word tokens: exits 0" "[ $rc -eq 0 ] && grep -q 'tokenizer word, trained on the corpus' word.out"
run wordgen generate --checkpoint word.pluma --prompt "en un" --max-new-tokens 5 --seed 1 --threads 1
check "word tokens: generate continues the prompt" "[ $rc -eq 0 ] && grep -q '^en un' wordgen.out"

# ---- generate, probs and score on the lstm checkpoint
run gen1 generate --checkpoint straight.pluma --prompt "ROMEO:" --max-new-tokens 30 --seed 7 --threads 1
run gen2 generate --checkpoint straight.pluma --prompt "ROMEO:" --max-new-tokens 30 --seed 7 --threads 1
check "generate: exits 0 and continues the prompt" "[ $rc -eq 0 ] && head -c 6 gen1.out | grep -q '^ROMEO:'"
# 30 new tokens: 30 characters, fewer when a special token (printed as nothing) was drawn
check "generate: at most 30 new characters" "n=\$(head -c -1 gen1.out | wc -m); [ \$n -gt 6 ] && [ \$n -le 36 ]"
check "generate: the same seed gives the same text" "cmp -s gen1.out gen2.out"
run gen3 generate --checkpoint straight.pluma --max-new-tokens 10 --num-samples 2 --seed 7 --threads 1
check "generate from <sos>, two samples" "[ $rc -eq 0 ] && [ \$(grep -c '^---$' gen3.out) -eq 1 ]"
# bf16 decoding weights: the same prompt, a sample of its own; --ignore-eos makes exactly the tokens asked for
run gen4 generate --checkpoint straight.pluma --prompt "ROMEO:" --max-new-tokens 30 --seed 7 --threads 1 --precision bf16 --ignore-eos
check "generate --precision bf16: exits 0 and continues the prompt" "[ $rc -eq 0 ] && head -c 6 gen4.out | grep -q '^ROMEO:'"
run gen5 generate --checkpoint straight.pluma --prompt "ROMEO:" --max-new-tokens 30 --seed 7 --threads 1 --precision fp16
check "generate --precision fp16: a usage error naming the choices" "[ $rc -eq 2 ] && grep -q 'precision must be fp32 or bf16' gen5.err"
run probs probs --checkpoint straight.pluma --prompt 'ROMEO:\n' --top 3 --json --threads 1
check "probs: three candidates whose probabilities are in (0, 1]" "[ $rc -eq 0 ] && [ \$(grep -Eo '\"prob\": ?(0\.[0-9]+|1(\.0+)?)([eE]-?[0-9]+)?' probs.out | wc -l) -ge 3 ]"
head -c 300 "$PLUMA_DATA/tinyshakespeare.txt" > sample.txt
run score score --checkpoint straight.pluma --input sample.txt --top 2 --threads 1
check "score: per-token table and totals over 299 tokens" "[ $rc -eq 0 ] && grep -Eq '^tokens 299  chars 299  loss [0-9.]+  perplexity [0-9.]+  bits/char [0-9.]+$' score.out"
check "score: a little learned (perplexity under the 69-token uniform)" "awk '/^tokens/ {exit !(\$8 < 69)}' score.out"

# ---- usage errors: exit 2, one line naming the option
usage() {  # usage NAME EXPECTED_FIRST_LINE ARGS...
  local n=$1 msg=$2; shift 2
  run "$n" train "$@"
  check "$n: exits 2" "[ $rc -eq 2 ]"
  check "$n: message" "[ \"\$(first_err $n)\" = \"pluma: $msg\" ]"
}
usage hidden0 "--hidden must be positive (got 0)" $TINY --iters 1 --hidden 0
usage heads "--heads applies to --model gpt only; leave it out for an lstm" $TINY --iters 1 --heads 4
usage nobias "--no-bias applies to --model gpt only; leave it out for an lstm" $TINY --iters 1 --no-bias
usage gpt_hidden "--hidden applies to --model lstm and seq2seq only; leave it out for a gpt" --model gpt --hidden 64 --iters 1
usage sampler "--sampler: unknown sampler 'shuffle' (expected windows or stream)" $TINY --iters 1 --sampler shuffle
usage preset_model "--preset baby is a recipe for --model gpt; leave out --model lstm or choose another preset" --preset baby --model lstm
usage preset_model2 "--preset char-rnn is a recipe for --model lstm; leave out --model gpt or choose another preset" --preset char-rnn --model gpt
usage resume_sampler "--sampler windows contradicts the checkpoint's stream; a resumed run continues the same batches (leave out --sampler)" --resume split.pluma --iters 14 --sampler windows
usage resume_batch "--batch 8 contradicts the checkpoint's 4; with the stream sampler every sequence is a stream with its own carried state (leave out --batch)" --resume split.pluma --iters 14 --batch 8
usage resume_heads "--heads applies to --model gpt only; leave it out for an lstm" --resume split.pluma --iters 14 --heads 2

# ---- the help says how an lstm is trained and evaluated
run help train --help
check "help: the lstm defaults" "tr -s ' \n' ' ' < help.out | grep -q \"An lstm starts from char-rnn's defaults (2x128, seq-len 50, batch 50, adam, constant lr 2e-3\""
check "help: the samplers" "tr -s ' \n' ' ' < help.out | grep -q 'stream (contiguous streams, truncated BPTT: an lstm carries its state from batch to batch; the lstm default)'"
check "help: evaluation from a zero state" "tr -s ' \n' ' ' < help.out | grep -q 'an lstm starts each from a zero state) (default: 20)'"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all train lstm CLI checks passed"
