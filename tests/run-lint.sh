#!/usr/bin/env bash
# run-lint.sh NDRSIFT SRCDIR - golden tests of `ndrsift lint` diagnostics.
#
# For every tests/lint/NAME.rules: run `ndrsift lint [ARGS] NAME.rules` from a
# copy of tests/lint (so paths in the output are relative and stable) and
# compare its stderr, followed by a line "exit N", with tests/lint/NAME.expected.
# Directives in the .rules file (comments, so the file stays a valid pack):
#   # lint-args: ARGS      extra arguments, e.g. --format=json or -Werror
#   # lint-as: FILENAME    lint a copy under this name (to test escaping)
# Every output must be printable (valid UTF-8, no control characters but tab
# and newline), stdout must be empty, and --format=json output must parse.
# Files under tests/lint/inc/ are only included, never linted on their own.
#
# NDR_UPDATE_GOLDEN=1 rewrites the .expected files from the actual output;
# review the result with `git diff` before committing it.
set -euo pipefail

ndrsift=$1
[[ $ndrsift == /* || $ndrsift != */* ]] || ndrsift=$PWD/$ndrsift # runners change directory
src=$2
golden=$src/tests/lint
update=${NDR_UPDATE_GOLDEN:-0}

# `timeout` guards against a hang (an include cycle must end); not every
# system has it.
limit=()
if command -v timeout >/dev/null; then limit=(timeout 30); fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$golden/." "$work/"

failed=0
count=0
for path in "$golden"/*.rules; do
  name=$(basename "$path" .rules)
  count=$((count + 1))
  args=$(sed -n '1s/^# lint-args: //p' "$path")
  as=$(sed -n 's/^# lint-as: //p' "$path" | head -n 1)
  file=$name.rules
  if [[ -n $as ]]; then
    cp "$work/$file" "$work/$as"
    file=$as
  fi
  actual=$work/$name.actual
  rc=0
  # shellcheck disable=SC2086 # ARGS is a list of words
  (cd "$work" && ${limit[@]+"${limit[@]}"} "$ndrsift" lint $args "$file" >"$work/$name.stdout" 2>"$actual") || rc=$?
  echo "exit $rc" >>"$actual"

  problems=()
  if [[ -s $work/$name.stdout ]]; then problems+=("lint wrote to stdout"); fi
  if [[ " $args " == *" --format=json "* ]] &&
    ! sed '$d' "$actual" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'; then
    problems+=("--format=json output is not one JSON object per line")
  fi

  if [[ $update == 1 ]]; then
    cp "$actual" "$golden/$name.expected"
  elif [[ ! -f $golden/$name.expected ]]; then
    problems+=("no $name.expected (run with NDR_UPDATE_GOLDEN=1 to create it)")
  elif ! diff -u -L "$name.expected" -L "$name (actual)" "$golden/$name.expected" "$actual"; then
    problems+=("output differs from $name.expected")
  fi
  if ((${#problems[@]})); then
    for p in "${problems[@]}"; do echo "FAIL $name.rules: $p"; done
    failed=$((failed + 1))
  fi
done

# Every output must be printable: valid UTF-8 without control characters
# (tab and newline allowed). One python3 run for all files.
while read -r bad; do
  echo "FAIL $bad.rules: output is not printable: invalid UTF-8 or control characters"
  failed=$((failed + 1))
done < <(python3 - "$work"/*.actual <<'EOF'
import os, sys
for path in sys.argv[1:]:
    try:
        s = open(path, "rb").read().decode("utf-8")
        ok = not any(c not in "\t\n" and (ord(c) < 32 or 127 <= ord(c) < 160) for c in s)
    except UnicodeDecodeError:
        ok = False
    if not ok:
        print(os.path.basename(path)[:-len(".actual")])
EOF
)

# An .expected file without its .rules file is a test that silently stopped running.
for exp in "$golden"/*.expected; do
  [[ -e $exp ]] || continue
  [[ -f ${exp%.expected}.rules ]] || { echo "FAIL $(basename "$exp"): no matching .rules file"; failed=$((failed + 1)); }
done

echo "lint.golden: $count files, $failed failed"
((count > 0 && failed == 0))
