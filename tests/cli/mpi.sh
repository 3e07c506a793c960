#!/bin/bash
# Data-parallel training under mpirun (2 ranks, one thread each): the global batch of 12 split 6 + 6 gives the
# 1-rank run's losses and final checkpoint to float tolerance, for the GPT and for the LSTM; a resume changes
# the rank count freely; rank 0 alone talks; a batch that does not split is refused; a killed rank ends the job
# with a message and leaves the last checkpoint readable. Also runs test_distributed (beside pluma) on 2 ranks.
# Skips (exit 77) when mpirun is missing or pluma was built without MPI.
PLUMA=$1
SRC=$2
set -u
if ! command -v mpirun >/dev/null 2>&1; then echo "SKIP: mpirun not found (Debian: openmpi-bin)"; exit 77; fi
if ! "$PLUMA" --version | grep -Eq ', MPI(, NCCL)?\)'; then echo "SKIP: this pluma was built without MPI"; exit 77; fi
export PLUMA_DATA="$SRC/../shared/data"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
# make test-sanitize: Open MPI's plugins leak by design and are unloaded before exit, so LeakSanitizer can
# neither name nor suppress them; under mpirun only the leak check is off (memory errors still fail).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
MPIRUN="mpirun -np 2 --oversubscribe --bind-to none"
W=$(mktemp -d /tmp/pluma_cli_mpi.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
run() { local n=$1; shift; "$PLUMA" "$@" >"$n.out" 2>"$n.err"; rc=$?; }
run2() { local n=$1; shift; $MPIRUN "$PLUMA" "$@" >"$n.out" 2>"$n.err"; rc=$?; }

# records LOG: "iter N loss X" / "iter N train_loss X val_loss Y" per metrics line (timing fields dropped)
records() { sed -E 's/,"lr".*//; s/[{}"]//g; s/[:,]/ /g' "$1"; }
# close_records A B TOL: the same lines, every number within TOL relative; prints the worst difference
close_records() {
  [ -s "$1" ] && [ -s "$2" ] || { echo "$1 or $2 is missing or empty"; return 1; }
  [ "$(records "$1" | wc -l)" -eq "$(records "$2" | wc -l)" ] || { echo "$1 and $2 differ in length"; return 1; }
  paste -d' ' <(records "$1") <(records "$2") | awk -v tol="$3" '
    { h = NF / 2
      for (i = 1; i <= h; i++) {
        a = $i; b = $(i + h)
        if (i % 2) { if (a != b) { print "field " a " != " b " in line " NR; bad = 1 } continue }
        if (i == 2) continue
        d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a
        r = d / m; if (r > worst) worst = r
      } }
    END { printf "worst relative difference %.3g\n", worst; exit bad || !(worst <= tol) }'
}
# tensors_of FILE: "name first_float end_float" of every F32 tensor of a .pluma file, by offset
tensors_of() {
  local n; n=$(od -An -tu8 -N8 "$1" | tr -d ' ')
  head -c $((8 + n)) "$1" | tail -c +9 |
    grep -o '"[^"]*":{"data_offsets":\[[0-9]*,[0-9]*\],"dtype":"F32"' |
    sed -E 's/^"([^"]*)":\{"data_offsets":\[([0-9]*),([0-9]*)\].*/\1 \2 \3/' |
    awk '{print $1, $2 / 4, $3 / 4}' | sort -k2,2n
}
floats_of() { local n; n=$(od -An -tu8 -N8 "$1" | tr -d ' '); tail -c +$((9 + n)) "$1" | od -An -v -tf4 -w4; }
# close_checkpoints A B TOL [SKIP]: the same tensor table, and every F32 tensor (parameters, optimizer moments;
# but those whose names match the regex SKIP) within TOL in relative norm ||a - b|| / ||a||; prints the worst
close_checkpoints() {
  [ -n "$(tensors_of "$1")" ] || { echo "no tensors in $1"; return 1; }
  [ "$(tensors_of "$1")" = "$(tensors_of "$2")" ] || { echo "$1 and $2 hold other tensors"; return 1; }
  paste <(floats_of "$1") <(floats_of "$2") | awk -v tol="$3" '
    FNR == NR { name[n] = $1; lo[n] = $2; hi[n] = $3; n++; next }
    { i = FNR - 1; while (k < n && i >= hi[k]) k++
      if (k < n && i >= lo[k]) { d = $1 - $2; dd[k] += d * d; aa[k] += $1 * $1 } }
    END { worst = -1
      for (j = 0; j < n; j++) { r = aa[j] > 0 ? sqrt(dd[j] / aa[j]) : (dd[j] > 0 ? 1e30 : 0)
        if (r > worst) { worst = r; w = name[j] } }
      printf "%d tensors, worst %s: relative difference %.3g\n", n, w, worst
      exit !(worst <= tol) }' <(tensors_of "$1" | grep -Ev "${4:-^$}") -
}
TOL=1e-5

# ---- the library's collectives and the data-parallel trainer on a toy model
TD="$(dirname "$PLUMA")/test_distributed"
if [ -x "$TD" ]; then
  $MPIRUN "$TD" >td.out 2>&1
  check "test_distributed passes on 2 ranks" "[ $? -eq 0 ]"
  check "test_distributed: both ranks report success" "[ \$(grep -c 'Status: .*SUCCESS' td.out) -eq 2 ]"
fi

# ---- 2 ranks x 6 rows = 1 rank x 12 rows. No biases in the GPT: the key bias has an exactly zero gradient,
# whose rounding noise Adam would blow up to +-lr steps that differ between any two summation orders.
COMMON="--context 16 --batch 12 --iters 10 --eval-interval 5 --eval-iters 2 --log-interval 1 --warmup 3 --threads 1"
GPT="--no-bias --layers 2 --heads 2 --embd 32 $COMMON"
LSTM="--model lstm --layers 2 --hidden 32 $COMMON"
for m in gpt lstm; do
  if [ $m = gpt ]; then A=$GPT; else A=$LSTM; fi
  run $m.1 train $A --out $m.1.pluma --metrics $m.1.jsonl
  check "$m, 1 rank: exits 0" "[ $rc -eq 0 ]"
  run2 $m.2 train $A --out $m.2.pluma --metrics $m.2.jsonl
  check "$m, 2 ranks: exits 0" "[ $rc -eq 0 ]"
  check "$m, 2 ranks: says how the batch is split" "grep -q '^data parallel: 2 ranks (MPI), 6 of the 12 sequences of every batch each$' $m.2.out"
  check "$m, 2 ranks: rank 0 alone prints" "[ \$(grep -c '^done: 10 iterations' $m.2.out) -eq 1 ] && [ \$(grep -c '^model: ' $m.2.out) -eq 1 ]"
  check "$m, 2 ranks: 10 step and 3 evaluation records" "[ \$(grep -c '\"loss\"' $m.2.jsonl) -eq 10 ] && [ \$(grep -c '\"val_loss\"' $m.2.jsonl) -eq 3 ]"
  check "$m: 2 ranks' losses equal 1 rank's within $TOL" "close_records $m.1.jsonl $m.2.jsonl $TOL >$m.cmp"
  check "$m: 2 ranks' checkpoint equals 1 rank's within $TOL" "close_checkpoints $m.1.pluma $m.2.pluma $TOL >$m.ckcmp"
  cat $m.cmp $m.ckcmp | sed "s/^/$m: /"
done

# ---- the translator: every length-bucketed batch (up to 64 pairs) split over 2 ranks, rows weighed by their
# target tokens, equals 1 rank to float tolerance (no dropout: the ranks draw other masks)
awk 'BEGIN { srand(11); split("a b c d e f g h", w, " ");
  for (i = 0; i < 450; i++) { n = 2 + int(rand() * 6); s = ""; t = "";
    for (k = 0; k < n; k++) { x = w[1 + int(rand() * 8)]; s = s (k ? " " : "") x; t = toupper(x x) (k ? " " : "") t }
    f = i < 400 ? "tr" : "va"; print s > (f ".src"); print t > (f ".tgt") } }'
S2S="--model seq2seq --src tr.src --tgt tr.tgt --valid-src va.src --valid-tgt va.tgt --tokenizer word --embd 16 --hidden 16
  --dec-hidden 16 --dropout 0 --batch 64 --iters 10 --eval-interval 5 --log-interval 1 --keep-best none --threads 1"
run s2s.1 train $S2S --out s2s.1.pluma --metrics s2s.1.jsonl
check "seq2seq, 1 rank: exits 0" "[ $rc -eq 0 ]"
run2 s2s.2 train $S2S --out s2s.2.pluma --metrics s2s.2.jsonl
check "seq2seq, 2 ranks: exits 0, rank 0 alone prints" "[ $rc -eq 0 ] && [ \$(grep -c '^done: 10 iterations' s2s.2.out) -eq 1 ]"
grep '"loss"' s2s.1.jsonl > s2s.1.steps; grep '"loss"' s2s.2.jsonl > s2s.2.steps
check "seq2seq: 10 step records" "[ \$(wc -l < s2s.2.steps) -eq 10 ]"
check "seq2seq: 2 ranks' losses equal 1 rank's within $TOL" "close_records s2s.1.steps s2s.2.steps $TOL >s2s.cmp"
# the parameters; not the Adam moments, where a gradient that nearly cancels over the rows (the bridge's biases)
# keeps the summation order's rounding in relative terms
check "seq2seq: 2 ranks' parameters equal 1 rank's within $TOL" "close_checkpoints s2s.1.pluma s2s.2.pluma $TOL '^optimizer[.]' >s2s.ckcmp"
cat s2s.cmp s2s.ckcmp | sed "s/^/seq2seq: /"

# ---- a resume changes the rank count: 2 ranks then 1, and 1 rank then 2, equal 1 rank straight
run2 a1 train $GPT --iters 6 --lr-decay-iters 10 --out a.pluma --metrics a.jsonl
run a2 train --resume a.pluma --iters 10 --metrics a.jsonl --threads 1
check "2 ranks, then resumed on 1: exits 0" "[ $rc -eq 0 ] && grep -q '^resuming from a.pluma at iteration 6 of 10$' a2.out"
check "2 ranks, then 1: the straight run's losses" "close_records gpt.1.jsonl a.jsonl $TOL >/dev/null"
check "2 ranks, then 1: the straight run's checkpoint" "close_checkpoints gpt.1.pluma a.pluma $TOL >/dev/null"
run b1 train $GPT --iters 4 --lr-decay-iters 10 --out b.pluma --metrics b.jsonl
run2 b2 train --resume b.pluma --iters 10 --metrics b.jsonl --threads 1
check "1 rank, then resumed on 2: exits 0" "[ $rc -eq 0 ] && grep -q '^resuming from b.pluma at iteration 4 of 10$' b2.out"
check "1 rank, then 2: the straight run's losses" "close_records gpt.1.jsonl b.jsonl $TOL >/dev/null"
check "1 rank, then 2: the straight run's checkpoint" "close_checkpoints gpt.1.pluma b.pluma $TOL >/dev/null"

# ---- refusals, said once (by rank 0)
run2 odd train $GPT --batch 7 --out odd.pluma
check "a batch of 7 on 2 ranks: exits 2" "[ $rc -eq 2 ]"
odd_said="$(grep '^pluma: ' odd.err)"
odd_want='pluma: --batch 7 (the global batch) does not split evenly over 2 ranks; give a --batch divisible by 2'
check "a batch of 7 on 2 ranks: says what to give, once" "[ \"\$odd_said\" = \"\$odd_want\" ]"
[ "$odd_said" = "$odd_want" ] || sed 's/^/    odd.err: /' odd.err   # all it said, when that fails
run2 accum train $GPT --grad-accum 4 --out accum.pluma
check "a batch of 12 x --grad-accum 4 on 2 ranks: exits 2 with the multiple" "[ $rc -eq 2 ] && grep -q 'give a --batch divisible by 8$' accum.err"
run2 missing train --resume nothing.pluma
check "a missing checkpoint on 2 ranks: exits 1, said once" "[ $rc -eq 1 ] && [ \$(grep -c '^pluma: cannot open checkpoint nothing.pluma' missing.err) -eq 1 ]"
[ $rc -eq 1 ] && [ "$(grep -c '^pluma: cannot open checkpoint nothing.pluma' missing.err)" -eq 1 ] ||
  { echo "    rc $rc"; sed 's/^/    missing.err: /' missing.err; }

# ---- a rank killed mid-run: the job ends non-zero with messages; the last checkpoint is intact
# kill_rank R: starts a long 2-rank run, waits for its second checkpoint, kills rank R (SIGKILL); rc, k.out, k.err
kill_rank() {
  rm -f k.pluma k.out k.err
  $MPIRUN "$PLUMA" train $GPT --iters 1000000 --eval-interval 1000 --checkpoint-interval 10 --out k.pluma \
    >k.out 2>k.err &
  local mp=$! victim="" i p
  for i in $(seq 600); do [ "$(grep -c '^saved k.pluma' k.out)" -ge 2 ] && break; sleep 0.1; done
  sleep 0.5
  for p in $(ps -o pid= --ppid $mp); do
    tr '\0' '\n' </proc/$p/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && victim=$p
  done
  if [ -n "$victim" ]; then kill -9 "$victim"; else kill "$mp"; fi
  wait $mp
  rc=$?
}
kill_rank 1
check "rank 1 killed: the job ends non-zero" "[ $rc -ne 0 ]"
check "rank 1 killed: the launcher names it" "grep -q 'rank 1 .*exited on signal 9' k.err"
check "rank 1 killed: rank 0 says the last checkpoint is intact" "grep -Eq '^pluma: the run was ended from outside .*; the last checkpoint written, k.pluma \(iteration [0-9]+\), is intact: continue with pluma train --resume k.pluma$' k.err"
it=$(grep -o 'k.pluma (iteration [0-9]*), is intact' k.err | grep -o '[0-9]*' | head -1)
run resume_k train --resume k.pluma --iters $((${it:-0} + 2)) --threads 1
check "rank 1 killed: the checkpoint resumes from the iteration named" "[ $rc -eq 0 ] && grep -q \"^resuming from k.pluma at iteration ${it:-none} of\" resume_k.out"
kill_rank 0
check "rank 0 killed: the job ends non-zero" "[ $rc -ne 0 ] && grep -q 'rank 0 .*exited on signal 9' k.err"
run resume_k0 train --resume k.pluma --iters 1000000 --max-time 0.1s --threads 1
check "rank 0 killed: its last checkpoint resumes" "[ $rc -eq 0 ] && grep -q '^resuming from k.pluma at iteration [1-9][0-9]* of 1000000$' resume_k0.out"

exit $fails
