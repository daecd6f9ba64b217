#!/usr/bin/env bash
# trace.sh - benchmark of the message-trace reader on big generated exports.
#
# usage: tests/bench/trace.sh [--size BYTES] [--runs N] [--dir DIR] [BUILD_DIR]
#   --size   bytes of each generated export (default 1100000000: over 1 GB)
#   --runs   timed runs of each command; the best is kept (default 2)
#   --dir    where the exports are written (default $TMPDIR or /tmp; needs
#            twice --size free); they are kept for the next run
#   BUILD_DIR  a Release build (default build-bench-trace at the top of the
#            source tree; configured and built here)
#
# Makes two exports with tests/trace/gen_trace.py (all shapes mixed: trace,
# trace detail, tracking events, Select-Object; Export-Clixml layout), one
# UTF-8 and one UTF-16LE with BOM, then times on each, end to end:
#   ndrsift classify --format=summary FILE >/dev/null   (the report)
#   ndrsift classify --format=jsonl FILE >/dev/null     (every record)
#   xmllint --stream --noout FILE                       (the floor: libxml2's
#                                                        own streaming parse)
# with /usr/bin/time -v for the wall time and the peak resident memory, and
# prints MB/s (of input bytes), records/s (failure records classified),
# items/s (objects read), the ratio to xmllint, and whether the targets
# hold: >= 100 MB/s, within 2x of xmllint, peak memory under 32 MB.
#
# xmllint comes with libxml2's tools: `apt-get install libxml2-utils`
# (Debian/Ubuntu), `dnf install libxml2`, `apk add libxml2-utils`. GNU time:
# `apt-get install time`.
# This is a benchmark, not a test: nothing here is registered with ctest.
# Exit: 0 when every target holds, 1 when one does not, 2 on errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
size=1100000000
runs=2
dir=${TMPDIR:-/tmp}
build=$root/build-bench-trace
while [[ $# -gt 0 ]]; do
  case $1 in
  --size) size=$2; shift 2 ;;
  --runs) runs=$2; shift 2 ;;
  --dir) dir=$2; shift 2 ;;
  -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
  -*) echo "trace.sh: unknown option $1" >&2; exit 2 ;;
  *) build=$1; shift ;;
  esac
done

for tool in xmllint /usr/bin/time python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "trace.sh: $tool is missing (xmllint: apt-get install libxml2-utils; /usr/bin/time: apt-get install time)" >&2
    exit 2
  fi
done

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target ndrsift-cli -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
ndrsift=$build/ndrsift

mkdir -p "$dir"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# TIME FILE COMMAND...: best wall seconds and peak RSS (KB) of N runs
measure() {
  local out=$1
  shift
  best_s="" best_kb=0
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$out" || {
      echo "trace.sh: failed: $*" >&2
      cat "$out" >&2
      exit 2
    }
    local wall kb
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
      awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    if [[ -z $best_s ]] || awk "BEGIN{exit !($wall < $best_s)}"; then best_s=$wall; fi
    if ((kb > best_kb)); then best_kb=$kb; fi
  done
  return 0
}

status=0
printf '%-11s %-25s %9s %9s %11s %11s %9s %8s\n' encoding command seconds "MB/s" "records/s" "items/s" "peak MB" "x xmllint"
for enc in utf8 utf16le-bom; do
  file=$dir/ndrsift-bench-trace-$enc.xml
  if [[ ! -f $file || $(stat -c %s "$file") -lt $size ]]; then
    echo "generating $file ($size bytes)..." >&2
    python3 "$root/tests/trace/gen_trace.py" --shape mixed --encoding "$enc" --size "$size" \
      --seed 2026 -o "$file"
  fi
  bytes=$(stat -c %s "$file")
  mb=$(awk "BEGIN{print $bytes / 1000000}")

  measure "$dir/xmllint.err" xmllint --stream --noout "$file"
  floor=$best_s
  printf '%-11s %-25s %9.2f %9.1f %11s %11s %9.1f %8s\n' "$enc" "xmllint --stream" "$floor" \
    "$(awk "BEGIN{print $mb / $floor}")" - - "$(awk "BEGIN{print $best_kb / 1024}")" 1.00

  for fmt in jsonl summary; do
    measure "$dir/ndrsift.err" "$ndrsift" classify --format=$fmt --input=clixml "$file"
    if [[ $fmt == jsonl ]]; then
      records=$(sed -n 's/^ndrsift: \([0-9]*\) records\? from.*/\1/p' "$dir/ndrsift.err")
      items=$(awk '/^ndrsift: [0-9]+ record/ {n += $2} /counted, not classified/ {n += $1} END {print n}' "$dir/ndrsift.err")
    fi
    secs=$best_s
    mbs=$(awk "BEGIN{print $mb / $secs}")
    ratio=$(awk "BEGIN{print $secs / $floor}")
    peak=$(awk "BEGIN{print $best_kb / 1024}")
    printf '%-11s %-25s %9.2f %9.1f %11.0f %11.0f %9.1f %8.2f\n' "$enc" "classify --format=$fmt" "$secs" \
      "$mbs" "$(awk "BEGIN{print ${records:-0} / $secs}")" "$(awk "BEGIN{print ${items:-0} / $secs}")" \
      "$peak" "$ratio"
    awk "BEGIN{exit !($mbs >= 100)}" || { echo "  target missed: under 100 MB/s"; status=1; }
    awk "BEGIN{exit !($ratio <= 2)}" || { echo "  target missed: over 2x xmllint"; status=1; }
    awk "BEGIN{exit !($peak < 32)}" || { echo "  target missed: peak memory over 32 MB"; status=1; }
  done
  echo "  $enc: $bytes bytes, ${records:-?} failure records, ${items:-?} items (objects x recipients)"
done
exit $status
