#!/bin/bash
# A catalogue of mistakes a user makes, across every command. A usage mistake is answered with exit 2 and at
# most two lines on stderr ("pluma: <what is wrong>" and "Try 'pluma ... --help'."); another failure (files,
# data, checkpoints) with exit 1 and one line. Nothing goes to stdout in either case.
PLUMA=$1
SRC=${2:-}
set -u
fails=0
count=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# A small corpus, tokenizers and a tiny checkpoint to make mistakes with.
for i in $(seq 1 60); do echo "En un lugar de la Mancha, de cuyo nombre no quiero acordarme, línea $i."; done > tiny.txt
: > empty.txt
printf 'caf\xe9 au lait\n' > latin1.txt
"$PLUMA" tokenizer train --kind char --input tiny.txt --out char.model >/dev/null || { echo "FAIL: setup tokenizer"; exit 1; }
"$PLUMA" train --model gpt --data tiny.txt --tokenizer char --layers 1 --heads 2 --embd 16 --context 16 --batch 4 \
  --iters 2 --eval-interval 2 --out m.pluma >/dev/null 2>&1 || { echo "FAIL: setup checkpoint"; exit 1; }
head -c 200 m.pluma > truncated.pluma
printf 'Two households, both alike in dignity,\n' > ref.txt

# expect CODE PATTERN -- COMMAND...: exit status CODE, stderr's first line matches PATTERN, line counts as above.
expect() {
  local code=$1 pattern=$2
  shift 3
  count=$((count + 1))
  local out err rc lines max
  out=$("$PLUMA" "$@" 2>"$tmp/err" </dev/null)
  rc=$?
  err=$(cat "$tmp/err")
  lines=$(wc -l < "$tmp/err")
  max=1
  [ "$code" -eq 2 ] && max=2
  if [ "$rc" -ne "$code" ]; then
    echo "FAIL: pluma $*: exit $rc, expected $code; stderr: $err"; fails=$((fails + 1)); return
  fi
  if [ "$lines" -lt 1 ] || [ "$lines" -gt "$max" ]; then
    echo "FAIL: pluma $*: $lines lines on stderr, expected 1..$max:"; echo "$err"; fails=$((fails + 1)); return
  fi
  if ! head -1 "$tmp/err" | grep -Eq "^pluma: .*$pattern"; then
    echo "FAIL: pluma $*: first line does not match '$pattern': $(head -1 "$tmp/err")"; fails=$((fails + 1)); return
  fi
  if [ "$code" -eq 2 ] && ! sed -n 2p "$tmp/err" | grep -Eq "^Try 'pluma[a-z ]* --help'\.$"; then
    echo "FAIL: pluma $*: second line is not the help pointer: $(sed -n 2p "$tmp/err")"; fails=$((fails + 1)); return
  fi
  if [ -n "$out" ]; then
    echo "FAIL: pluma $*: wrote to stdout: $out"; fails=$((fails + 1))
  fi
}

# ---- usage mistakes: exit 2 ----
expect 2 "unknown command 'trian' \(did you mean 'train'\?\)" -- trian
expect 2 "unknown option '--frob'" -- --frob
expect 2 "--heads \(3\) must divide --embd" -- train --heads 3 --data tiny.txt
expect 2 "unknown option '--batch-size' \(did you mean '--batch'\?\)" -- train --batch-size 8 --data tiny.txt
expect 2 "unknown option '--max-iters' \(did you mean '--iters'\?\)" -- train --max-iters 8 --data tiny.txt
expect 2 "unknown model kind 'transformer'" -- train --model transformer --data tiny.txt
expect 2 "--max-time: bad duration '40parsecs'" -- train --max-time 40parsecs --data tiny.txt
expect 2 "--lr must be positive" -- train --lr -1 --data tiny.txt
expect 2 "--iters: 'abc' is not a valid value" -- train --iters abc --data tiny.txt
expect 2 "--threads must be 0 or more" -- train --threads -3 --data tiny.txt
expect 2 "--lanes must be 0 or more" -- train --lanes -1 --data tiny.txt
expect 2 "--lanes must be at most 16" -- train --lanes 40 --data tiny.txt
expect 2 "--lanes 8 needs at least as many sequences per micro-batch" -- train --lanes 8 --batch 4 --data tiny.txt
expect 2 "--lanes 2 needs --sampler windows for an lstm" -- train --model lstm --lanes 2 --data tiny.txt
expect 2 "'--out' needs a value" -- train --data tiny.txt --out
expect 2 "unexpected argument 'Once upon'" -- generate --checkpoint m.pluma "Once upon"
expect 2 "unexpected argument '10'" -- train --data tiny.txt --iters 5 10
expect 2 "--layers 5000 is more than 1024" -- train --data tiny.txt --layers 5000
expect 2 "top_p must be in" -- generate --checkpoint m.pluma --top-p 1.5
expect 2 "temperature must be >= 0" -- generate --checkpoint m.pluma --temperature -1
expect 2 "did you mean '--max-new-tokens'" -- generate --checkpoint m.pluma --max-new-tokns 5
expect 2 "--device must be cpu or cuda" -- generate --checkpoint m.pluma --device tpu
expect 2 "--top must be at least 1" -- probs --checkpoint m.pluma --top 0
expect 2 "--input FILE is required" -- score --checkpoint m.pluma
expect 2 "unknown tokenizer kind 'bytes'" -- tokenizer train --kind bytes --input tiny.txt --out o.model
expect 2 "unknown tokenizer subcommand 'exprot' \(did you mean 'export'\?\)" -- tokenizer exprot
expect 2 "the one format is sentencepiece" -- tokenizer export --format hf --tokenizer char.model --out o.spm
expect 2 "missing --tokenizer" -- tokenize
expect 2 "'moon' is not a side" -- tokenize --tokenizer m.pluma --side moon
expect 2 "--out is required" -- prepare --tokenizer char.model --input tiny.txt
expect 2 "beam size must be in" -- translate --beam 0 --checkpoint m.pluma
expect 2 "missing --hyp" -- bleu --ref ref.txt
expect 2 "--metrics is required" -- plot

# ---- other failures: exit 1, one line ----
expect 1 "cannot open tokenizer 'missing.model'" -- tokenize --tokenizer missing.model
expect 1 "neither a pluma tokenizer nor a .pluma checkpoint" -- tokenize --tokenizer tiny.txt
expect 1 "truncated" -- generate --checkpoint truncated.pluma
expect 1 "cannot open checkpoint missing.pluma" -- probs --checkpoint missing.pluma
expect 1 "is empty" -- train --data empty.txt --tokenizer char --iters 1
expect 1 "invalid UTF-8 at byte offset 3" -- score --checkpoint m.pluma --input latin1.txt
expect 1 "has no SentencePiece model" -- tokenizer export --tokenizer char.model --out o.spm
expect 1 "seq2seq|translation" -- translate --checkpoint m.pluma

[ -e o.spm ] && { echo "FAIL: a failed export left o.spm behind"; fails=$((fails + 1)); }
ls ./*.tmp >/dev/null 2>&1 && { echo "FAIL: a temporary file was left behind"; fails=$((fails + 1)); }
[ "$count" -ge 15 ] || { echo "FAIL: only $count mistakes in the catalogue"; fails=$((fails + 1)); }
echo "$count mistakes checked, $fails failed"
exit $fails
