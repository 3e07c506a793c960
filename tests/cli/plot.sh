#!/bin/bash
# pluma plot --chart: a benchmark's chart file to an SVG, and every bad input answered with one line and exit 1
# (or a usage error, exit 2) and no SVG left behind. Also --metrics with a hand-written log.
PLUMA=$1
set -u
W=$(mktemp -d /tmp/pluma_cli_plot.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
# run NAME ARGS...: stdout in NAME.out, stderr in NAME.err, exit code in $rc
run() { local n=$1; shift; "$PLUMA" "$@" >"$n.out" 2>"$n.err"; rc=$?; }

cat > good.json <<'JSON'
{"title": "GPT training, 4 layers, context 256: time per iteration", "x_label": "width (channels)",
 "y_label": "ms per iteration", "log_x": true, "log_y": true, "right_label": "",
 "series": [{"name": "pluma fp32", "points": [[128, 40.1], [256, 120.5], [384, 250.0], [768, 900.2]]},
            {"name": "PyTorch 1.13", "points": [[128, 80.0], [256, 150.0], [384, 300.0], [768, 1000.0]],
             "color": "#d62728", "dots": true, "right": false}]}
JSON
run good plot --chart good.json --out good.svg
check "a chart file: exits 0" "[ $rc -eq 0 ]"
check "a chart file: says what it wrote" "grep -qx 'wrote good.svg (2 series, 8 points)' good.out"
check "a chart file: an SVG with both series" \
  "grep -q 'data-name=\"pluma fp32\"' good.svg && grep -q 'data-name=\"PyTorch 1.13\"' good.svg && tail -1 good.svg | grep -q '</svg>'"
check "a chart file: the widths are the x ticks" "grep -q '>384</text>' good.svg && grep -q '>768</text>' good.svg"
check "a chart file: its title" "grep -q '>GPT training, 4 layers, context 256: time per iteration</text>' good.svg"
run titled plot --chart good.json --out titled.svg --title '</text><script>x</script>'
check "--title overrides the file's, escaped" \
  "[ $rc -eq 0 ] && grep -q '&lt;/text&gt;&lt;script&gt;' titled.svg && ! grep -q '<script' titled.svg && ! grep -q 'GPT training' titled.svg"
run default plot --chart good.json
check "--chart writes chart.svg by default" "[ $rc -eq 0 ] && [ -s chart.svg ]"

# ---- bad chart files: exit 1, one line on stderr naming the trouble, no SVG
printf '{"series": [' > truncated.json
printf '{"title": "x"}' > noseries.json
printf '{"series": []}' > empty.json
printf '{"series": [{"name": "a", "points": []}]}' > nopoints.json
printf '{"series": [{"name": "a", "points": [[1, "fast"]]}]}' > text.json
printf '{"series": [{"name": "a", "points": [[1, 1e999]]}]}' > infinite.json
printf '{"log_x": true, "series": [{"name": "a", "points": [[0, 1], [2, 3]]}]}' > zero.json
printf '{"log_y": true, "series": [{"name": "a", "points": [[1, -1]]}]}' > negative.json
printf '{"series": [{"name": "a", "points": [[1, 2]], "color": "url(#x)"}]}' > color.json
python3 -c 'import json; print(json.dumps({"series": [{"name": "s%d" % i, "points": [[1, 2]]} for i in range(65)]}))' > many.json
python3 -c 'import json; print(json.dumps({"series": [{"name": "a", "points": [[i, 1] for i in range(100001)]}]}))' > huge.json
bad() {   # bad NAME PATTERN ARGS...
  local n=$1 pattern=$2
  shift 2
  rm -f bad.svg
  run "$n" plot "$@" --out bad.svg
  check "$n: exits 1" "[ $rc -eq 1 ]"
  check "$n: one line on stderr" "[ \$(wc -l < $n.err) -eq 1 ]"
  check "$n: says '$pattern'" "grep -Eq \"^pluma: $pattern\" $n.err"
  check "$n: nothing on stdout" "[ ! -s $n.out ]"
  check "$n: no SVG left behind" "[ ! -e bad.svg ] && [ ! -e bad.svg.tmp ]"
}
bad missing "cannot open chart file 'nothing.json'" --chart nothing.json
bad directory "cannot read chart file '\\.'" --chart .
bad truncated "truncated.json: not valid JSON" --chart truncated.json
bad noseries "noseries.json: needs .series." --chart noseries.json
bad empty "empty.json: no series to draw" --chart empty.json
bad nopoints "nopoints.json: series 'a' has no points" --chart nopoints.json
bad text "text.json: series 'a': point 1: x and y must be numbers" --chart text.json
bad infinite "infinite.json: number overflow parsing '1e999'" --chart infinite.json
bad zero "zero.json: series 'a', point 1: x = 0 on a logarithmic x axis" --chart zero.json
bad negative "negative.json: series 'a', point 1: y = -1 on a logarithmic y axis" --chart negative.json
bad color "color.json: series 'a': color 'url\(#x\)' is not" --chart color.json
bad many "many.json: 65 series, more than 64" --chart many.json
bad huge "huge.json: more than 100000 points" --chart huge.json
run unwritable plot --chart good.json --out nodir/x.svg
check "an unwritable --out: exit 1, one line" "[ $rc -eq 1 ] && [ \$(wc -l < unwritable.err) -eq 1 ] && grep -q \"^pluma: cannot write SVG file 'nodir/x.svg'\" unwritable.err"

# ---- usage errors: exit 2, the message and the help pointer
usage() {   # usage NAME PATTERN ARGS...
  local n=$1 pattern=$2
  shift 2
  run "$n" plot "$@"
  check "$n: exits 2" "[ $rc -eq 2 ]"
  check "$n: says '$pattern'" "[ \"\$(head -1 $n.err)\" = \"pluma: $pattern\" ]"
  check "$n: points at the help" "[ \"\$(sed -n 2p $n.err)\" = \"Try 'pluma plot --help'.\" ] && [ \$(wc -l < $n.err) -eq 2 ]"
}
usage both "give --metrics or --chart, not both" --chart good.json --metrics m.jsonl --out both.svg
usage neither "--metrics is required (the log written by pluma train --metrics), or --chart FILE"
usage batch "--no-batch-loss goes with --metrics" --chart good.json --no-batch-loss
check "usage errors write no SVG" "[ ! -e both.svg ]"

# ---- --metrics still draws the training curves
printf '%s\n' '{"iter":0,"loss":4.0,"lr":0.001,"tokens_per_s":1.0}' '{"iter":0,"train_loss":4.1,"val_loss":4.2,"lr":0.001,"tokens_per_s":0.0}' \
  '{"iter":10,"loss":3.0,"lr":0.001,"tokens_per_s":1.0}' '{"iter":10,"train_loss":3.1,"val_loss":3.3,"lr":0.001,"tokens_per_s":0.0}' > m.jsonl
run metrics plot --metrics m.jsonl --out loss.svg
check "--metrics: three curves, the axis labels" \
  "[ $rc -eq 0 ] && [ \$(grep -c '<polyline' loss.svg) -eq 3 ] && grep -q '>loss (cross-entropy, nats)</text>' loss.svg"

[ "$fails" -eq 0 ] && echo "plot: all checks passed"
exit $fails
