#!/usr/bin/env bash
# run-table.sh NDRSIFT SRCDIR - the .ndrt table file, end to end.
#
# 1. Round trip: `compile -o` then `classify --table` gives byte-identical
#    output to classifying with the packs themselves (site pack alone, and
#    site pack + shipped packs).
# 2. Damaged files (truncated at several lengths, wrong magic, wrong version,
#    a flipped body byte, a section offset outside the file with the checksum
#    recomputed) each give exit 2, no output, and one clear line on stderr
#    that names the file.
# 3. `compile --dump=text|csv` list every rule exactly once.
set -euo pipefail

ndrsift=$1
[[ $ndrsift == /* || $ndrsift != */* ]] || ndrsift=$PWD/$ndrsift # runners change directory
src=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=0
fail() {
  echo "FAIL $*"
  failed=$((failed + 1))
}

cd "$src/tests/classify"
inputs=(lines.txt crlf.txt bytes.txt "$src/tests/examples/diagnostics.txt")

# --- 1. round trip ------------------------------------------------------------
for variant in site full; do
  opts=()
  [[ $variant == site ]] && opts=(--no-default-rules)
  table=$work/$variant.ndrt
  rc=0
  "$ndrsift" compile ${opts[@]+"${opts[@]}"} -o "$table" site.rules 2>"$work/compile.err" || rc=$?
  if [[ $rc != 0 || ! -s $table ]]; then
    fail "compile $variant: exit $rc"$'\n'"$(cat "$work/compile.err")"
    continue
  fi
  for fmt in jsonl csv text; do
    "$ndrsift" classify ${opts[@]+"${opts[@]}"} --rules site.rules --format=$fmt "${inputs[@]}" \
      >"$work/packs.out" 2>"$work/packs.err"
    "$ndrsift" classify --table "$table" --format=$fmt "${inputs[@]}" \
      >"$work/table.out" 2>"$work/table.err"
    diff -u -L "classify --rules ($variant, $fmt)" -L "classify --table ($variant, $fmt)" \
      "$work/packs.out" "$work/table.out" || fail "round trip $variant $fmt: stdout differs"
    diff -u -L "stderr with --rules" -L "stderr with --table" \
      "$work/packs.err" "$work/table.err" || fail "round trip $variant $fmt: stderr differs"
  done
done

# --- 2. damaged files -----------------------------------------------------------
good=$work/site.ndrt
size=$(wc -c <"$good" | tr -d " ")
python3 - "$good" "$work" <<'EOF'
import struct, sys

good, out = sys.argv[1], sys.argv[2]
data = open(good, "rb").read()
HDR, DIRENT = 40, 32

def fnv1a64(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def with_checksum(b):
    b = bytearray(b)
    struct.pack_into("<Q", b, 24, fnv1a64(bytes(b[HDR:])))
    return bytes(b)

assert data[:8] == b"NDRT\r\n\x1a\n", "unexpected magic in a fresh table"
assert struct.unpack_from("<Q", data, 24)[0] == fnv1a64(data[HDR:]), \
    "the checksum is not FNV-1a 64 over the bytes after the header"

def put(name, b):
    open("%s/%s.ndrt" % (out, name), "wb").write(b)

for n in (0, 7, 20, 39, 40, 40 + DIRENT, len(data) // 2, len(data) - 1):
    put("trunc-%d" % n, data[:n])
put("magic", b"NDRX" + data[4:])
put("gzip", b"\x1f\x8b\x08\x00" + data[4:])
for v in (0, 2, 0xFFFFFFFF):
    b = bytearray(data)
    struct.pack_into("<I", b, 8, v)
    put("version-%d" % v, bytes(b))
b = bytearray(data)
b[len(b) - 1 - 8] ^= 0x55  # a body byte near the end
put("flipped", bytes(b))
b = bytearray(data)
b[HDR + 40] ^= 0x01  # a byte of the section directory
put("flipped-dir", bytes(b))
b = bytearray(data)
b += b"\0" * 8
put("trailing", bytes(b))
# The first section's offset points past the end; checksum made right again,
# so only the loader's bounds check can catch it.
b = bytearray(data)
struct.pack_into("<Q", b, HDR + 8, len(data) + 4096)
put("offset-outside", with_checksum(b))
# The first section's size runs past the end.
b = bytearray(data)
off = struct.unpack_from("<Q", b, HDR + 8)[0]
struct.pack_into("<Q", b, HDR + 16, len(data) - off + 8)
put("size-outside", with_checksum(b))
# A huge offset that would wrap around when added to the size.
b = bytearray(data)
struct.pack_into("<Q", b, HDR + 8, 0xFFFFFFFFFFFFFFF8)
put("offset-wrap", with_checksum(b))
# The section count claims more entries than the file holds.
b = bytearray(data)
struct.pack_into("<I", b, 32, 0x10000)
put("section-count", with_checksum(b))
EOF

for bad in "$work"/trunc-*.ndrt "$work"/magic.ndrt "$work"/gzip.ndrt "$work"/version-*.ndrt \
  "$work"/flipped*.ndrt "$work"/trailing.ndrt "$work"/*-outside.ndrt "$work"/offset-wrap.ndrt \
  "$work"/section-count.ndrt; do
  name=$(basename "$bad")
  for cmd in classify explain; do
    args=(lines.txt)
    [[ $cmd == explain ]] && args=("550 5.7.1 Unable to relay")
    rc=0
    "$ndrsift" $cmd --table "$bad" "${args[@]}" >"$work/bad.out" 2>"$work/bad.err" || rc=$?
    err=$(cat "$work/bad.err")
    [[ $rc == 2 ]] || fail "$cmd --table $name: exit $rc, expected 2"$'\n'"$err"
    [[ ! -s $work/bad.out ]] || fail "$cmd --table $name: wrote to stdout"
    [[ $(wc -l <"$work/bad.err") == 1 ]] || fail "$cmd --table $name: stderr is not one line:"$'\n'"$err"
    [[ $err == "ndrsift: error: $bad: "?* ]] || fail "$cmd --table $name: error does not name the file: $err"
  done
  echo "$name: $err"
done
# Wrong version must say so (not just "corrupt").
grep -qi 'version' <<<"$("$ndrsift" classify --table "$work/version-2.ndrt" lines.txt 2>&1)" ||
  fail "version-2.ndrt: the error does not mention the version"
# A missing table file is an I/O error naming the file.
rc=0
"$ndrsift" classify --table "$work/missing.ndrt" lines.txt >/dev/null 2>"$work/bad.err" || rc=$?
if [[ $rc != 2 ]] || ! grep -q "missing.ndrt" "$work/bad.err"; then
  fail "missing table: exit $rc, $(cat "$work/bad.err")"
fi
echo "table files: original $size bytes"

# --- 3. dumps -------------------------------------------------------------------
for variant in site full; do
  opts=()
  [[ $variant == site ]] && opts=(--no-default-rules)
  "$ndrsift" compile ${opts[@]+"${opts[@]}"} --dump=text site.rules >"$work/dump.txt"
  "$ndrsift" compile ${opts[@]+"${opts[@]}"} --dump=csv site.rules >"$work/dump.csv"
  rules=$(sed -n '1s/^# .*, \([0-9][0-9]*\) rules,.*/\1/p' "$work/dump.txt")
  if [[ -z $rules ]]; then
    fail "dump $variant: the text dump does not start with '# ... N rules, ...'"
    continue
  fi
  # text: one line per rule, "  ORDER  RULE-ID  [PACK]  -> CATEGORY ..."
  text_rules=$(grep -cE '^ +[0-9]+  [A-Za-z][A-Za-z0-9_.-]*  \[' "$work/dump.txt" || true)
  # csv: a header, then one row per rule whose first field is its order 1..N
  csv_rules=$(python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0][:2] == ["order", "rule"], rows[0]
orders = [int(r[0]) for r in rows[1:]]
assert orders == list(range(1, len(orders) + 1)), "orders are not 1..N"
ids = [r[1] for r in rows[1:]]
assert len(set(ids)) == len(ids), "a rule is listed twice"
print(len(orders))' "$work/dump.csv") || fail "dump $variant: csv is malformed"
  [[ $text_rules == "$rules" ]] || fail "dump $variant: text lists $text_rules rules, header says $rules"
  [[ $csv_rules == "$rules" ]] || fail "dump $variant: csv lists $csv_rules rules, header says $rules"
  echo "dump $variant: $rules rules in text and csv"
done
[[ $("$ndrsift" compile --no-default-rules --dump=text site.rules | head -n 1) == *", 7 rules,"* ]] ||
  fail "dump: site.rules should give 7 rules"

echo "table.file: $failed failed"
((failed == 0))
