#!/usr/bin/env bash
# run-classify.sh NDRSIFT SRCDIR - golden tests of `ndrsift classify`.
#
# Every tests/classify/NAME.txt is classified with the stable test pack
# tests/classify/site.rules alone (--no-default-rules, so these results do
# not move when the shipped packs do), in each output format; stdout must
# equal NAME.jsonl, NAME.csv and NAME.text, and stderr (the summary) plus a
# line "exit N" must equal NAME.stderr, whatever the format. JSON Lines output
# must parse line by line.
# Then checks that need generated input: a 2 MB line (cut, with a warning
# naming file:line), several inputs and stdin in one run.
#
# NDR_UPDATE_GOLDEN=1 rewrites the expected files from the actual output.
set -euo pipefail

ndrsift=$1
[[ $ndrsift == /* || $ndrsift != */* ]] || ndrsift=$PWD/$ndrsift # runners change directory
src=$2
golden=$src/tests/classify
update=${NDR_UPDATE_GOLDEN:-0}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=0
fail() {
  echo "FAIL $*"
  failed=$((failed + 1))
}
check_json() { # FILE: one JSON object per line
  python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$1"
}
compare() { # EXPECTED ACTUAL
  if [[ $update == 1 ]]; then
    cp "$2" "$1"
  elif ! diff -u -L "${1#"$src"/}" -L "actual" "$1" "$2"; then
    fail "$(basename "$1"): output differs"
  fi
}

cd "$golden"
classify=("$ndrsift" classify --no-default-rules --rules site.rules)
count=0
for input in *.txt; do
  name=${input%.txt}
  count=$((count + 1))
  for fmt in jsonl csv text; do
    rc=0
    "${classify[@]}" --format=$fmt "$input" >"$work/$name.$fmt" 2>"$work/$name.$fmt.err" || rc=$?
    echo "exit $rc" >>"$work/$name.$fmt.err"
    compare "$golden/$name.$fmt" "$work/$name.$fmt"
  done
  compare "$golden/$name.stderr" "$work/$name.jsonl.err"
  for fmt in csv text; do
    cmp -s "$work/$name.jsonl.err" "$work/$name.$fmt.err" ||
      fail "$name: stderr of --format=$fmt differs from --format=jsonl"
  done
  check_json "$work/$name.jsonl" || fail "$name.jsonl: not valid JSON Lines"
  python3 - "$work/$name.csv" <<'EOF2' || fail "$name.csv: rows do not all have the columns of the header"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8", errors="replace")))
assert rows and rows[0][:2] == ["input", "record"], rows[:1]
assert all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
EOF2
  # What reaches a terminal holds no control characters (an ESC in a
  # diagnostic must not become a terminal escape sequence).
  python3 - "$work/$name.text" <<'EOF2' || fail "$name.text: control characters in text output"
import sys
s = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(any(c not in "\t\n" and (ord(c) < 32 or 127 <= ord(c) < 160) for c in s))
EOF2
done
((count > 0)) || fail "no tests/classify/*.txt inputs"

# A line of 2 MB between two ordinary ones: cut at the 1 MiB limit with a
# warning naming file:line, classified on what is left, and the next line is
# read as its own record.
python3 - "$work/long.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("550 5.7.1 Unable to relay\n")
    f.write("550 5.1.1 " + "x" * (2 * 1024 * 1024) + " user unknown\n")
    f.write("552 5.2.2 Mailbox full\n")
EOF
rc=0
"${classify[@]}" --format=jsonl "$work/long.txt" >"$work/long.jsonl" 2>"$work/long.err" || rc=$?
[[ $rc == 0 ]] || fail "long line: exit $rc, expected 0"
grep -q '^ndrsift: warning: .*/long.txt:2: line longer than [0-9]* bytes' "$work/long.err" ||
  fail "long line: no warning naming long.txt:2"$'\n'"$(cat "$work/long.err")"
grep -q '3 records from 1 input: 3 classified, 0 unknown' "$work/long.err" ||
  fail "long line: summary is not 3 records, 3 classified"$'\n'"$(cat "$work/long.err")"
python3 - "$work/long.jsonl" <<'EOF' || fail "long line: records are wrong"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [r["record"] for r in recs] == [1, 2, 3], [r["record"] for r in recs]
assert [r["line"] for r in recs] == [1, 2, 3], [r["line"] for r in recs]
assert [r["category"] for r in recs] == ["t_relay", "t_user", "t_full"], [r["category"] for r in recs]
assert recs[1]["status"] == "5.1.1"
assert len(recs[1]["diagnostic"]) < 1024 * 1024, "the kept diagnostic is not bounded"
EOF

# Several inputs, one of them stdin: the input field names each, records are
# numbered across inputs, lines within each, and the summary counts all.
rc=0
"${classify[@]}" --format=jsonl crlf.txt - <lines.txt >"$work/multi.jsonl" 2>"$work/multi.err" || rc=$?
[[ $rc == 0 ]] || fail "two inputs: exit $rc, expected 0"
python3 - "$work/multi.jsonl" <<'EOF' || fail "two inputs: input fields are wrong"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
inputs = [r["input"] for r in recs]
assert inputs[0] == "crlf.txt" and inputs[-1] == "stdin", inputs
assert inputs.count("crlf.txt") == 3, inputs
assert [r["record"] for r in recs] == list(range(1, len(recs) + 1))
assert [r["line"] for r in recs[:4]] == [1, 3, 4, 1], [r["line"] for r in recs[:4]]
EOF
grep -q '^ndrsift: [0-9]* records from 2 inputs: ' "$work/multi.err" ||
  fail "two inputs: summary does not say 2 inputs"$'\n'"$(cat "$work/multi.err")"

# -q: no summary at all.
"${classify[@]}" -q crlf.txt >/dev/null 2>"$work/quiet.err"
[[ ! -s $work/quiet.err ]] || fail "-q still wrote to stderr: $(cat "$work/quiet.err")"

echo "classify.golden: $count inputs x 3 formats, $failed failed"
((failed == 0))
