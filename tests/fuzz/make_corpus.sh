#!/usr/bin/env bash
# make_corpus.sh - seed corpora for the fuzz targets.
#
# usage: make_corpus.sh SOURCE_ROOT OUT_DIR [SEED_TABLE]
#
# OUT_DIR/rules: every rulepacks/**/*.rules, tests/lint/*.rules and
#   tests/fuzz/seeds/*.rules (hand-written: regex syntax, every condition),
#   whole, and cut into one self-contained pack per rule (the file's pack
#   header, its top-level patterns, the category the rule names, the rule), so
#   that most seeds build a table and reach the lowering, index and matcher.
# OUT_DIR/table: table files of a few of the per-rule packs, of the seeds, of
#   the shipped packs and of an empty pack, written by SEED_TABLE (the
#   ndr-seed-table tool of the fuzz build; a path ending in "ndrsift" is run as
#   `ndrsift compile --no-default-rules -o`); skipped without SEED_TABLE.
# Seeds are rewritten on every run; the fuzzers' own findings live elsewhere.
set -euo pipefail
root=${1:?usage: make_corpus.sh SOURCE_ROOT OUT_DIR [SEED_TABLE]}
out=${2:?usage: make_corpus.sh SOURCE_ROOT OUT_DIR [SEED_TABLE]}
tool=${3:-}

rm -rf "$out/rules" "$out/table"
mkdir -p "$out/rules" "$out/table"

files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(
  { find "$root/rulepacks" -name '*.rules' -type f -print0 2>/dev/null
    [[ -d $root/tests/lint ]] && find "$root/tests/lint" -name '*.rules' -type f -print0
    [[ -d $root/tests/fuzz/seeds ]] && find "$root/tests/fuzz/seeds" -name '*.rules' -type f -print0
  } | sort -z)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "make_corpus.sh: no .rules files under $root" >&2
  exit 0
fi

for f in "${files[@]}"; do
  rel=${f#"$root"/}
  cp "$f" "$out/rules/whole-${rel//\//_}"
done

# Top-level blocks are recognised by their first line ("rule X {") and end at
# a "}" in column 0, which is how the packs are written; a file written
# otherwise just yields fewer (or odder) seeds, which is harmless.
awk -v out="$out/rules" '
  function flush_file(   i, cat, body, fn) {
    for (i = 1; i <= nrules; i++) {
      cat = rulecat[i]
      body = header patterns
      if (cat in cats) body = body cats[cat]
      body = body rules[i]
      fn = sprintf("%s/rule-%s-%04d.rules", out, base, i)
      printf "%s", body > fn
      close(fn)
    }
  }
  FNR == 1 {
    if (NR > 1) flush_file()
    base = FILENAME; sub(/.*\//, "", base); sub(/\.rules$/, "", base)
    header = ""; patterns = ""; nrules = 0; kind = ""
  }
  kind == "" && /^(pack|category|rule)[ \t]/ {
    kind = $1; name = $2; sub(/\{.*/, "", name); block = ""; rcat = ""
  }
  kind == "" && /^pattern[ \t]/ { patterns = patterns $0 "\n"; next }
  kind != "" {
    block = block $0 "\n"
    if (kind == "rule" && $1 == "category" && rcat == "") rcat = $2
    if (/^\}/) {
      if (kind == "pack") header = block
      else if (kind == "category") cats[name] = block
      else { nrules++; rules[nrules] = block; rulecat[nrules] = rcat }
      kind = ""
    }
  }
  END { if (NR > 0) flush_file() }
' "${files[@]}"

# write_table OUT.ndrt PATH...
write_table() {
  local o=$1
  shift
  case $(basename "$tool") in
    ndrsift) "$tool" compile --no-default-rules -o "$o" "$@" ;;
    *) "$tool" "$o" "$@" ;;
  esac
}

if [[ -n $tool && -x $tool ]]; then
  n=0
  for seed in "$out"/rules/rule-*.rules; do
    [[ -e $seed ]] || break
    if write_table "$out/table/$(basename "$seed" .rules).ndrt" "$seed" >/dev/null 2>&1; then
      n=$((n + 1))
    fi
    [[ $n -ge 8 ]] && break
  done
  for seed in "$out"/rules/whole-tests_fuzz_seeds_*.rules; do
    [[ -e $seed ]] || break
    write_table "$out/table/$(basename "$seed" .rules).ndrt" "$seed" >/dev/null 2>&1 || true
  done
  write_table "$out/table/shipped.ndrt" "$root/rulepacks" >/dev/null 2>&1 || true
  # an empty table (no rules), the smallest valid file
  printf 'pack empty {\n}\n' >"$out/empty.rules"
  write_table "$out/table/empty.ndrt" "$out/empty.rules" >/dev/null 2>&1 || true
  rm -f "$out/empty.rules"
fi
echo "make_corpus.sh: $(ls "$out/rules" | wc -l) rule seeds, $(ls "$out/table" | wc -l) table seeds in $out"
