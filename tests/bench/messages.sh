#!/usr/bin/env bash
# messages.sh - how fast ndrsift reads NDR messages from an mbox.
#
# usage: tests/bench/messages.sh [NDRSIFT] [MB]
#   NDRSIFT  the binary to time (default: a Release build made in
#            build-bench-msg at the top of the source tree)
#   MB       size of the mbox to build, in MB (default 64, at least 50)
#
# Builds an mbox from every message of tests/corpus/set-of-emails/maildir
# (LF, CRLF and CR-only copies, not-bounces and broken ones included),
# repeated until it reaches MB, then times
#   ndrsift classify --input=mbox --format=jsonl MBOX > /dev/null
# with /usr/bin/time -v (one thread) and prints messages/s, MB/s and the peak
# resident memory. It then times an mbox of twice the size: the peak memory
# must not grow with the size of the mbox.
# This is a benchmark, not a test: nothing here is registered with ctest.
# Exit: 0, or 2 when something is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${1:-}
mb=${2:-64}
if [[ -z $bin ]]; then
  build=$root/build-bench-msg
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target ndrsift-cli -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  bin=$build/ndrsift
fi
if [[ ! -x $bin ]]; then
  echo "messages.sh: $bin is not an executable" >&2
  exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "messages.sh: /usr/bin/time is missing (apt-get install time)" >&2
  exit 2
fi
(( mb < 50 )) && mb=50
corpus=$root/tests/corpus/set-of-emails/maildir
work=$(mktemp -d "${TMPDIR:-/tmp}/ndrsift-msgbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# one copy of the corpus as an mbox: a "From " line before each message, its
# own envelope line dropped, body lines starting with "From " quoted (mboxrd)
python3 - "$corpus" "$work/one.mbox" <<'EOF'
import os, re, sys
corpus, out = sys.argv[1], sys.argv[2]
n = 0
with open(out, "wb") as fh:
    for d, _, fs in sorted(os.walk(corpus)):
        for f in sorted(fs):
            raw = open(os.path.join(d, f), "rb").read()
            if raw.startswith(b"From "):
                raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
            if not raw.strip():
                continue
            raw = re.sub(rb"(?m)^(>*From )", rb">\1", raw)
            fh.write(b"From MAILER-DAEMON Thu Apr 29 23:34:45 2010\n")
            fh.write(raw)
            if not raw.endswith(b"\n"):
                fh.write(b"\n")
            fh.write(b"\n")
            n += 1

EOF
one_msgs=$(grep -c '^From MAILER-DAEMON Thu Apr 29 23:34:45 2010$' "$work/one.mbox")
one_bytes=$(stat -c %s "$work/one.mbox")

run() { # MBOX LABEL
  local mbox=$1 label=$2 copies=$3
  local bytes msgs
  bytes=$(stat -c %s "$mbox")
  msgs=$((one_msgs * copies))
  /usr/bin/time -v "$bin" classify --input=mbox --format=jsonl "$mbox" \
    >"$work/out.jsonl" 2>"$work/time.txt" || true
  local secs rss recs
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  recs=$(wc -l <"$work/out.jsonl")
  python3 - "$label" "$bytes" "$msgs" "$secs" "$rss" "$recs" <<'EOF'
import sys
label, nbytes, msgs, wall, rss, recs = sys.argv[1:]
parts = [float(x) for x in wall.split(":")]
secs = parts[-1] + (parts[-2] * 60 if len(parts) > 1 else 0) + (parts[-3] * 3600 if len(parts) > 2 else 0)
secs = max(secs, 1e-3)
mb = int(nbytes) / 1e6
print(f"{label}: {mb:.1f} MB, {int(msgs)} messages, {int(recs)} records in {secs:.2f} s: "
      f"{int(msgs) / secs:,.0f} messages/s, {mb / secs:.1f} MB/s, peak RSS {int(rss) / 1024:.1f} MB")
EOF
}

copies=$(( (mb * 1000000 + one_bytes - 1) / one_bytes ))
for ((i = 0; i < copies; i++)); do cat "$work/one.mbox"; done >"$work/bench.mbox"
echo "== $(uname -m), $(nproc 2>/dev/null || echo '?') CPUs; $one_msgs messages per copy of the corpus ($((one_bytes / 1024)) KB)"
echo "== $bin"
run "$work/bench.mbox" "mbox x$copies" "$copies"
# twice as big: the peak memory must stay where it was
cat "$work/bench.mbox" "$work/bench.mbox" >"$work/bench2.mbox"
rm -f "$work/bench.mbox"
run "$work/bench2.mbox" "mbox x$((copies * 2))" "$((copies * 2))"
