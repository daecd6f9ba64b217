#!/usr/bin/env bash
# run.sh - run every fuzz target for a while with the seed corpora.
#
# usage: tests/fuzz/run.sh SECONDS [BUILD_DIR]
#   SECONDS    time per target (e.g. 30 in CI, 300 for a real session)
#   BUILD_DIR  a build configured with -DCMAKE_C_COMPILER=clang -DNDR_FUZZ=ON
#              and built (default: build-fuzz at the top of the source tree)
#
# For each target: first replays the reproducers kept in
# tests/fuzz/crashes/TARGET/ (bugs found earlier: each must now run clean),
# then fuzzes for SECONDS from the seeds (BUILD_DIR/tests/fuzz/corpus/...) and
# its own growing corpus (BUILD_DIR/tests/fuzz/work/TARGET). New crashes,
# leaks, timeouts and OOMs are written to BUILD_DIR/tests/fuzz/artifacts/;
# copy a reproducer to tests/fuzz/crashes/TARGET/ to keep it as a regression.
# Exit: 0 clean, 1 a target crashed, leaked or hung, 2 usage or missing build.
set -uo pipefail

secs=${1:-}
if ! [[ $secs =~ ^[0-9]+$ ]]; then
  echo "usage: tests/fuzz/run.sh SECONDS [BUILD_DIR]" >&2
  exit 2
fi
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$src/../.." && pwd)
build=${2:-$root/build-fuzz}
fz=$build/tests/fuzz
for t in fuzz_rules fuzz_table ndr-seed-table; do
  if [[ ! -x $fz/$t ]]; then
    echo "run.sh: $fz/$t is missing: configure with -DCMAKE_C_COMPILER=clang -DNDR_FUZZ=ON and build $build" >&2
    exit 2
  fi
done
# (re)make the seeds; the CMake target fuzz-corpus does the same at build time
bash "$src/make_corpus.sh" "$root" "$fz/corpus" "$fz/ndr-seed-table" >/dev/null || exit 2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for t in fuzz_rules fuzz_table fuzz_message fuzz_clixml; do
  [[ -x $fz/$t ]] || continue
  seeds=$fz/corpus/${t#fuzz_}
  work=$fz/work/$t
  art=$fz/artifacts/$t
  mkdir -p "$work" "$art"
  opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/")
  case $t in
  fuzz_rules) opts+=(-max_len=65536 -dict="$src/rules.dict") ;;
  fuzz_table) opts+=(-max_len=262144) ;; # the shipped packs' table is about 100 KB
  fuzz_clixml) opts+=(-max_len=131072) ;;
  *) opts+=(-max_len=65536) ;;
  esac

  # earlier findings first: each must run clean now
  shopt -s nullglob
  kept=("$src/crashes/$t"/*)
  shopt -u nullglob
  if [[ ${#kept[@]} -gt 0 ]]; then
    echo "== $t: replaying ${#kept[@]} kept reproducer(s) from tests/fuzz/crashes/$t"
    for f in "${kept[@]}"; do
      [[ $f == *.txt || $f == *.md ]] && continue
      if ! "$fz/$t" "${opts[@]}" -runs=1 "$f" </dev/null >"$art/replay.log" 2>&1; then
        echo "   FAIL $(basename "$f"):"
        grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$art/replay.log" | head -n 5 | sed 's/^/      /'
        status=1
      fi
    done
  fi

  echo "== $t: fuzzing for ${secs}s"
  log=$art/fuzz.log
  # stdin closed: a pack may `include "/dev/stdin"`
  "$fz/$t" "${opts[@]}" -max_total_time="$secs" "$work" "$seeds" </dev/null >"$log" 2>&1
  rc=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -n 2 | sed 's/^/   /'
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" |
    sed 's/^/   /'
  if [[ $rc -ne 0 ]]; then
    status=1
    echo "   FOUND A PROBLEM (exit $rc):"
    grep -E 'ERROR: |SUMMARY: |runtime error|Test unit written to' "$log" | head -n 8 | sed 's/^/      /'
  fi
done
exit "$status"
