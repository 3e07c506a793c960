#!/bin/bash
# Tokenizers go where users take them: `--tokenizer` takes a .pluma checkpoint, and
# `pluma tokenizer export --format sentencepiece` writes a model that SentencePiece's own spm_encode reads
# with the same ids as `pluma tokenize` (line by line: spm_encode reads lines, so the newline piece is the
# one difference). spm_encode comes from Debian's `sentencepiece` package, which tools/install-deps installs.
PLUMA=$1
SRC=$2
set -u
DATA="${PLUMA_DATA:-$SRC/../shared/data}"
TMP=$(mktemp -d /tmp/pluma_cli_export.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fails=$((fails+1)); fi; }
command -v spm_encode >/dev/null || { echo "FAIL: spm_encode is missing (tools/install-deps installs sentencepiece)"; exit 1; }

# Spanish and German text, and lines to encode that the tokenizer did not see whole.
head -c 150000 "$DATA/quijote.txt" > "$TMP/es.txt"
head -n 2000 "$DATA/multi30k/train.de" > "$TMP/de.txt"
cat > "$TMP/lines.txt" <<'EOF'
En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho tiempo que vivía un hidalgo.
¿Quién es? —preguntó don Quijote—. ¡Sancho, amigo mío!
Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.
Ein kleines Mädchen klettert in ein Spielhaus aus Holz; straße, Größe, übermäßig.
  two  spaces, a tab	and 1234 digits — and a rare ʃ glyph
EOF

for kind in bpe unigram; do
  $PLUMA tokenizer train --kind $kind --vocab-size 1200 --input "$TMP/es.txt" --input "$TMP/de.txt" \
    --out "$TMP/$kind.model" > /dev/null || { echo "FAIL: $kind: tokenizer train"; fails=$((fails+1)); continue; }
  out=$($PLUMA tokenizer export --format sentencepiece --tokenizer "$TMP/$kind.model" --out "$TMP/$kind.spm"); rc=$?
  check "$kind: export exits 0" "[ $rc -eq 0 ]"
  check "$kind: export says what it wrote" "echo \"\$out\" | grep -q 'written as a SentencePiece model'"
  spm_encode --model "$TMP/$kind.spm" --output_format id < "$TMP/lines.txt" > "$TMP/$kind.spm_ids"; rc=$?
  check "$kind: spm_encode reads the exported model" "[ $rc -eq 0 ]"
  : > "$TMP/$kind.pluma_ids"
  while IFS= read -r line; do
    printf '%s' "$line" | $PLUMA tokenize --tokenizer "$TMP/$kind.model" >> "$TMP/$kind.pluma_ids"
  done < "$TMP/lines.txt"
  check "$kind: 5 lines encoded" "[ \$(wc -l < '$TMP/$kind.pluma_ids') -eq 5 ]"
  check "$kind: spm_encode gives pluma's ids" "diff '$TMP/$kind.spm_ids' '$TMP/$kind.pluma_ids'"
done

# A checkpoint wherever a tokenizer file goes: tokenize and export from it, and prepare with it.
$PLUMA train --model gpt --data "$TMP/es.txt" --tokenizer "$TMP/bpe.model" --layers 1 --heads 2 --embd 16 \
  --context 16 --batch 4 --iters 2 --eval-interval 2 --out "$TMP/m.pluma" > /dev/null 2>&1
check "checkpoint trained" "[ -s '$TMP/m.pluma' ]"
a=$(printf 'En un lugar' | $PLUMA tokenize --tokenizer "$TMP/bpe.model")
b=$(printf 'En un lugar' | $PLUMA tokenize --tokenizer "$TMP/m.pluma"); rc=$?
check "tokenize --tokenizer CHECKPOINT exits 0" "[ $rc -eq 0 ]"
check "the checkpoint's tokenizer is the one it was trained with" "[ -n '$a' ] && [ '$a' = '$b' ]"
$PLUMA tokenizer export --tokenizer "$TMP/m.pluma" --out "$TMP/from_ckpt.spm" > /dev/null
check "export from a checkpoint gives the same model" "cmp -s '$TMP/from_ckpt.spm' '$TMP/bpe.spm'"
$PLUMA prepare --tokenizer "$TMP/m.pluma" --input "$TMP/de.txt" --out "$TMP/shards" > /dev/null; rc=$?
check "prepare --tokenizer CHECKPOINT exits 0" "[ $rc -eq 0 ]"
err=$(printf 'x' | $PLUMA tokenize --tokenizer "$TMP/m.pluma" --side source 2>&1 >/dev/null); rc=$?
check "a language model has no source side" "[ $rc -eq 1 ] && echo \"\$err\" | grep -q 'has no source side'"

exit $fails
