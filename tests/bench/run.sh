#!/usr/bin/env bash
# run.sh - build ndrsift in Release and benchmark it on the shipped packs.
#
# usage: tests/bench/run.sh [BUILD_DIR] [BENCH_OPTIONS...]
#   BUILD_DIR      defaults to build-bench at the top of the source tree
#   BENCH_OPTIONS  passed to ndrsift-bench: --lines N, --naive-lines N,
#                  --threads N (see tests/bench/bench.c)
#
# Runs ndrsift-bench (indexed vs naive classifier, threads, memory) on
# rulepacks/, then times the CLI end to end on the same line file:
#   ndrsift classify --format=jsonl FILE > /dev/null
# This is a benchmark, not a test: nothing here is registered with ctest.
# Exit: that of ndrsift-bench (1 if indexed and naive disagree), 2 on errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build-bench
if [[ $# -gt 0 && $1 != -* ]]; then
  build=$1
  shift
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target ndrsift-bench -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
cli_ok=1
if ! cmake --build "$build" --target ndrsift-cli -j "$(nproc 2>/dev/null || echo 2)" \
     >"$build/bench-cli-build.log" 2>&1; then
  cli_ok=0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
lines=$work/lines.txt

echo "== $(uname -m), $(nproc 2>/dev/null || echo '?') CPUs, $(cc --version 2>/dev/null | head -n1)"
rc=0
"$build/tests/bench/ndrsift-bench" --out "$lines" "$@" "$root/rulepacks" || rc=$?
if [[ $rc -ge 2 || ! -s $lines ]]; then
  exit "$rc"
fi

echo
if [[ $cli_ok -eq 0 ]]; then
  echo "cli:      not timed: the ndrsift binary did not build (see $build/bench-cli-build.log;"
  echo "          the shipped packs must compile without warnings for the built-in table)"
  exit "$rc"
fi

nlines=$(wc -l <"$lines")
bytes=$(wc -c <"$lines")
timer=()
if [[ -x /usr/bin/time ]]; then
  timer=(/usr/bin/time -v -o "$work/time.txt")
fi
start=$(date +%s.%N)
"${timer[@]}" "$build/ndrsift" classify --format=jsonl "$lines" >/dev/null 2>"$work/cli.err" || {
  echo "cli:      ndrsift classify failed:"
  cat "$work/cli.err"
  exit 2
}
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$nlines" -v b="$bytes" 'BEGIN {
  t = e - s
  printf "cli:      ndrsift classify --format=jsonl: %d lines (%.1f MB) in %.3f s = %.0f lines/s, %.1f MB/s (built-in table, output to /dev/null)\n",
         n, b / 1e6, t, n / t, b / 1e6 / t
}'
if [[ -s $work/time.txt ]]; then
  awk -F': ' '
    /Maximum resident set size/ { printf "          peak RSS %.1f MB", $2 / 1024 }
    /User time/                 { u = $2 }
    /System time/               { s = $2 }
    END                         { printf ", user %s s, system %s s\n", u, s }' "$work/time.txt"
fi
head -n1 "$work/cli.err" | sed 's/^/          /'
exit "$rc"
