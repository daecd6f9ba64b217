#!/usr/bin/env bash
# run-docs.sh NDRSIFT SRCDIR - the examples of the manual are executed, so the
# docs cannot drift from the code.
#
# Every fenced code block of README.md and docs/*.md whose info string is
# `rules` is written to a file of its own and must pass `ndrsift lint -Werror`
# and `ndrsift test`. A block marked `rules-error` shows a mistake on purpose and
# must FAIL lint with exit 1.
set -euo pipefail

ndrsift=$1
[[ $ndrsift == /* || $ndrsift != */* ]] || ndrsift=$PWD/$ndrsift # runners change directory
src=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Writes NAME.rules (or NAME.rules-error) per block and lists
# "FILE KIND DOC:LINE" on stdout.
python3 - "$work" "$src" "$src"/README.md "$src"/docs/*.md >"$work/blocks" <<'PY'
import os, re, sys
out, root = sys.argv[1], sys.argv[2]
for path in sys.argv[3:]:
    doc = os.path.basename(path)
    lines = open(path, encoding="utf-8").read().split("\n")
    i, n = 0, 0
    while i < len(lines):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)", lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(1), m.group(2)
        j = i + 1
        while j < len(lines) and not (lines[j].lstrip().startswith(fence[0] * len(fence))
                                      and lines[j].strip().strip(fence[0]) == ""):
            j += 1
        if info in ("rules", "rules-error"):
            n += 1
            stem = re.sub(r"[^A-Za-z0-9]+", "_", doc[:-3])
            name = "%s_%d.rules" % (stem, n)
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write("\n".join(lines[i + 1:j]) + "\n")
            print(name, info, "%s:%d" % (os.path.relpath(path, root), i + 1))
        i = j + 1
PY

failed=0
good=0
bad=0
cd "$work"
while read -r file kind where; do
  rc=0
  "$ndrsift" lint -Werror "$file" >lint.out 2>&1 || rc=$?
  if [[ $kind == rules ]]; then
    good=$((good + 1))
    if [[ $rc != 0 ]]; then
      echo "FAIL $where: this 'rules' block does not pass ndrsift lint -Werror (exit $rc):"
      sed "s|^$file:|$where+|" lint.out
      failed=$((failed + 1))
      continue
    fi
    rc=0
    "$ndrsift" test "$file" >test.out 2>&1 || rc=$?
    if [[ $rc != 0 ]]; then
      echo "FAIL $where: this 'rules' block does not pass ndrsift test (exit $rc):"
      sed "s|^$file:|$where+|" test.out
      failed=$((failed + 1))
    fi
  else
    bad=$((bad + 1))
    if [[ $rc != 1 ]]; then
      echo "FAIL $where: this 'rules-error' block should fail lint with exit 1, got exit $rc"
      cat lint.out
      failed=$((failed + 1))
    fi
  fi
done <blocks

echo "docs.examples: $good rules blocks, $bad rules-error blocks, $failed failed"
if ((good + bad == 0)); then
  echo "FAIL no 'rules' block found in README.md or docs/*.md"
  exit 1
fi
((failed == 0))
