#!/usr/bin/env bash
# make-fixtures.sh - (re)make the generated fixtures of tests/trace/golden/.
#
# The fixtures are committed so that the golden tests do not depend on the
# generator's output staying byte-identical; run this after changing
# gen_trace.py or make_real_fragments.py, then regenerate the expected
# output (NDR_UPDATE_GOLDEN=1 tests/run-trace.sh NDRSIFT SRCDIR) and review
# the diff.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
g() { python3 gen_trace.py "$@"; }
d=golden
g --shape tracking --encoding utf16le-bom --records 12 --seed 101 --traps --fail-rate 0.5 -o $d/ems-tracking-utf16le-bom.xml
g --shape tracking2010 --encoding utf16le-bom --records 6 --seed 102 --fail-rate 0.5 -o $d/ems-tracking2010-utf16le-bom.xml
g --shape detail --encoding utf8 --newline lf --records 12 --seed 103 --traps --fail-rate 0.5 -o $d/exo-detail-utf8.xml
g --shape trace --encoding utf8-bom --records 20 --seed 104 --traps --fail-rate 0.5 -o $d/exo-trace-utf8-bom.xml
g --shape selected --encoding utf16le --records 12 --seed 105 --traps --fail-rate 0.5 -o $d/selected-utf16le-nobom.xml
g --shape mixed --compact --records 16 --seed 106 --traps --fail-rate 0.5 -o $d/mixed-compact-utf8.xml
g --shape mixed --encoding utf16be-bom --records 8 --seed 107 --fail-rate 0.5 -o $d/mixed-utf16be-bom.xml
g --format msgtrk --records 25 --seed 108 --fail-rate 0.5 -o $d/msgtrk-2013.log
g --format msgtrk --shape tracking2010 --newline lf --records 10 --seed 109 --fail-rate 0.5 -o $d/msgtrk-bare-replies.log
g --format csv-extended --encoding utf16le-bom --records 20 --seed 110 --fail-rate 0.5 -o $d/eac-extended-utf16le-bom.csv
g --format csv-summary --records 25 --seed 111 --fail-rate 0.5 -o $d/eac-summary-utf8.csv
g --format csv-trace --encoding utf8-bom --records 25 --seed 112 --fail-rate 0.5 -o $d/export-csv-trace.csv
python3 make_real_fragments.py $d/real-fragments.xml
# the bundled example of the README (the summary report's main job)
python3 gen_trace.py --shape tracking --encoding utf16le-bom --records 24 --fail-rate 0.5 --seed 2026 \
  -o ../examples/message-tracking.clixml.xml
