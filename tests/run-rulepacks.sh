#!/usr/bin/env bash
# run-rulepacks.sh NDRSIFT SRCDIR test|lint - what pack maintainers run, as a
# test: `ndrsift test rulepacks/` (exit 0, last line "N passed, 0 failed")
# or `ndrsift lint -Werror rulepacks/` (exit 0), from the source directory.
set -euo pipefail

ndrsift=$1
[[ $ndrsift == /* || $ndrsift != */* ]] || ndrsift=$PWD/$ndrsift # runners change directory
src=$2
mode=$3
cd "$src"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
case $mode in
test)
  "$ndrsift" test rulepacks/ | tee "$out" || rc=$?
  last=$(tail -n 1 "$out")
  if [[ $rc != 0 || ! $last =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
    echo "FAIL ndrsift test rulepacks/: exit $rc, last line '$last'"
    exit 1
  fi
  if [[ $last =~ ^0\  ]]; then
    echo "FAIL ndrsift test rulepacks/: no example was run"
    exit 1
  fi
  ;;
lint)
  "$ndrsift" lint -Werror rulepacks/ || rc=$?
  if [[ $rc != 0 ]]; then
    echo "FAIL ndrsift lint -Werror rulepacks/: exit $rc"
    exit 1
  fi
  ;;
*)
  echo "usage: $0 NDRSIFT SRCDIR test|lint" >&2
  exit 2
  ;;
esac
