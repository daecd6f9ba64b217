#!/usr/bin/env python3
"""compare.py ACTUAL.jsonl EXPECTED.jsonl STDERR - check ndrsift's records
against the ground truth written by gen_trace.py --expect.

Every expected record must come out, in order, with the same place (the
object number of a CLIXML export, the line of a CSV or log row), recipient,
event, action, sender, subject, message id, server, connector, remote
server, time, reply code and enhanced status, and a diagnostic holding the
expected substring; empty expected fields must be absent. The summary that
ndrsift writes on stderr must count the records and each kind of skipped
item exactly as expected. Exit 1 with the differences on any mismatch.
"""
import json
import re
import sys


def main():
    actual = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
    lines = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    stderr = open(sys.argv[3], encoding="utf-8", errors="replace").read()
    tail = lines.pop()
    errors = []
    if len(actual) != len(lines):
        errors.append("%d records, expected %d" % (len(actual), len(lines)))
    fields = ("recipient", "event", "action", "sender", "subject", "message_id", "server",
              "connector", "remote_mta", "report_date")
    for i, (a, e) in enumerate(zip(actual, lines)):
        diffs = []
        if a.get("line") != e["where"]:
            diffs.append("place %s, expected %s" % (a.get("line"), e["where"]))
        if a.get("kind") != "trace":
            diffs.append("kind %s" % a.get("kind"))
        for f in fields:
            want = e.get(f) or None
            if a.get(f) != want:
                diffs.append("%s %r, expected %r" % (f, a.get(f), want))
        if a.get("reply_code") != e.get("reply"):
            diffs.append("reply %r, expected %r" % (a.get("reply_code"), e.get("reply")))
        if a.get("status") != e.get("status"):
            diffs.append("status %r, expected %r" % (a.get("status"), e.get("status")))
        if e.get("contains") and e["contains"] not in a.get("diagnostic", ""):
            diffs.append("diagnostic %r lacks %r" % (a.get("diagnostic", "")[:120], e["contains"]))
        if not e.get("contains") and a.get("diagnostic"):
            diffs.append("diagnostic %r, expected none" % a.get("diagnostic")[:120])
        if diffs:
            errors.append("record %d (%s): %s" % (i + 1, e["where"], "; ".join(diffs)))
        if len(errors) > 20:
            break
    m = re.search(r"ndrsift: (\d+) records? from", stderr)
    if not m or int(m.group(1)) != tail["records"]:
        errors.append("summary does not say %d records: %s" % (tail["records"], stderr[:300]))
    for what, n in sorted(tail["skipped"].items()):
        if not re.search(r"^ +%d  %s \(counted, not classified\)$" % (n, re.escape(what)), stderr, re.M):
            errors.append("summary does not count %d %s" % (n, what))
    counted = re.findall(r"^ +\d+  (.*) \(counted, not classified\)$", stderr, re.M)
    extra = set(counted) - set(tail["skipped"])
    if extra:
        errors.append("summary counts unexpected items: %s" % ", ".join(sorted(extra)))
    for e in errors:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
