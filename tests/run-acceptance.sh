#!/usr/bin/env bash
# run-acceptance.sh NDRSIFT SRCDIR - the shipped packs against fixed
# expectations: every tests/acceptance/*.tsv holds lines "diagnostic<TAB>category"
# (# starts a comment). Each diagnostic is classified with the built-in table
# and must come out with its category. Prints every mismatch with the rule
# that decided, and "N passed, M failed".
set -euo pipefail
ndrsift=$1
src=$2
fail=0 pass=0
check=$(cat <<'PY'
import csv, sys
rows = list(csv.DictReader(sys.stdin))
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip() and not l.startswith("#")]
if len(rows) != len(want):
    print(f"FAIL {sys.argv[1]}: {len(rows)} records for {len(want)} lines")
    print("COUNT 0 1")
    sys.exit(0)
bad = 0
for row, (text, cat) in zip(rows, want):
    if row["category"] != cat:
        bad += 1
        print(f"FAIL {sys.argv[1]}: want {cat}, got {row['category']} (rule {row['rule'] or 'none'}): {text}")
print(f"COUNT {len(want) - bad} {bad}")
PY
)
for tsv in "$src"/tests/acceptance/*.tsv; do
  out=$(grep -v '^#' "$tsv" | cut -f1 | "$ndrsift" classify --format=csv -q)
  result=$(python3 -c "$check" "$tsv" <<<"$out")
  grep -v '^COUNT' <<<"$result" || true
  read -r _ p f < <(grep '^COUNT' <<<"$result")
  pass=$((pass + p))
  fail=$((fail + f))
done
echo "$pass passed, $fail failed"
((fail == 0))
