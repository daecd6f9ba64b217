#!/usr/bin/env bash
# run-cli.sh NDRSIFT SRCDIR - the command line itself: help, usage errors,
# exit codes, explain, `ndrsift test` failures, and site packs before the
# shipped ones. Each check runs the real binary and states what it expects.
set -euo pipefail

ndrsift=$1
[[ $ndrsift == /* || $ndrsift != */* ]] || ndrsift=$PWD/$ndrsift # runners change directory
src=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$src/tests/cli"

failed=0
checks=0
out=$work/out
err=$work/err

# run EXPECTED-EXIT ARGS... : run ndrsift (stdin from /dev/null unless
# redirected by the caller), keep stdout and stderr, check the exit code.
run() {
  local want=$1 rc=0
  shift
  "$ndrsift" "$@" >"$out" 2>"$err" || rc=$?
  checks=$((checks + 1))
  if [[ $rc != "$want" ]]; then
    echo "FAIL ndrsift $*: exit $rc, expected $want"
    sed 's/^/  stderr: /' "$err" | head -n 20
    failed=$((failed + 1))
    return 1
  fi
}
# expect WHERE(out|err) REGEX DESCRIPTION
expect() {
  local f=$out
  [[ $1 == err ]] && f=$err
  checks=$((checks + 1))
  if ! grep -qE -- "$2" "$f"; then
    echo "FAIL $3: std$1 does not match /$2/"
    sed "s/^/  std$1: /" "$f" | head -n 20
    failed=$((failed + 1))
  fi
}
empty() {
  local f=$out
  [[ $1 == err ]] && f=$err
  checks=$((checks + 1))
  if [[ -s $f ]]; then
    echo "FAIL $2: std$1 should be empty"
    sed "s/^/  std$1: /" "$f" | head -n 20
    failed=$((failed + 1))
  fi
}

# --- help ------------------------------------------------------------------
if run 0 --help </dev/null; then
  expect out '^usage: ndrsift COMMAND' "--help"
  empty err "--help"
fi
for cmd in classify explain lint test compile; do
  if run 0 "$cmd" --help </dev/null; then
    expect out "^usage: ndrsift $cmd" "$cmd --help"
    empty err "$cmd --help"
  fi
done
if run 0 --version </dev/null; then expect out '^ndrsift [0-9]+\.[0-9]+\.[0-9]+$' "--version"; fi

# --- usage errors: exit 2, message on stderr, nothing on stdout ------------
if run 2 </dev/null; then expect err '^usage: ndrsift' "no command"; empty out "no command"; fi
if run 2 frobnicate </dev/null; then
  expect err "unknown command 'frobnicate'" "unknown command"
  empty out "unknown command"
fi
for args in "classify --bogus" "lint --bogus x.rules" "test --bogus x.rules" "compile --bogus x.rules" "explain --bogus x"; do
  # shellcheck disable=SC2086 # split on purpose
  if run 2 $args </dev/null; then
    expect err "(unrecognized|unknown) option|--bogus" "$args"
    empty out "$args"
  fi
done
if run 2 classify --format=yaml </dev/null; then expect err "--format must be" "classify --format=yaml"; fi
if run 2 lint --format=xml site-first.rules </dev/null; then expect err "--format must be" "lint --format=xml"; fi
if run 2 lint </dev/null; then expect err "needs at least one rule pack" "lint without paths"; fi
if run 2 compile site-first.rules </dev/null; then expect err "compile needs -o FILE" "compile without -o"; fi
if run 2 explain </dev/null; then expect err "explain needs the diagnostic text" "explain without text"; fi
if run 2 classify --no-default-rules </dev/null; then
  expect err "no rules: --no-default-rules needs --rules" "--no-default-rules alone"
  empty out "--no-default-rules alone"
fi

# --- I/O errors name the file -------------------------------------------------
if run 2 classify "$work/no-such-input.txt" </dev/null; then
  expect err "no-such-input\.txt" "classify of a missing file"
  empty out "classify of a missing file"
fi
if run 2 lint "$work/no-such-pack.rules" </dev/null; then expect err "no-such-pack\.rules" "lint of a missing file"; fi
if run 2 test "$work/no-such-pack.rules" </dev/null; then expect err "no-such-pack\.rules" "test of a missing file"; fi
if run 2 classify --rules "$work/no-such-pack.rules" </dev/null; then expect err "no-such-pack\.rules" "--rules of a missing file"; fi
if run 2 classify --table "$work/no-such.ndrt" </dev/null; then expect err "no-such\.ndrt" "--table of a missing file"; fi
if run 2 compile -o "$work/no-such-dir/t.ndrt" site-first.rules </dev/null; then expect err "no-such-dir/t\.ndrt" "compile -o into a missing directory"; fi

# --- explain -------------------------------------------------------------------
if run 0 explain "550 5.7.1 Unable to relay" </dev/null; then
  expect out '^facts:' "explain: facts"
  expect out '^  reply +550$' "explain: reply code fact"
  expect out '^  status +5\.7\.1$' "explain: status fact"
  expect out '^candidates' "explain: candidate header"
  expect out '=> MATCHES: this rule decides' "explain: the deciding candidate"
  expect out '^verdict: relay_denied by rule ' "explain: verdict"
fi
if run 0 explain --rules site-first.rules - <<<"550 5.7.1 Unable to relay"; then
  expect out '^verdict: transport_rule_reject by rule cli_site\.relay \(site-first\.rules:7\)' "explain - from stdin"
fi
if run 0 explain --no-default-rules --rules ../classify/site.rules "250 2.0.0 Ok: queued" </dev/null; then
  expect out '^verdict: unknown' "explain of a record nothing matches"
fi

# --- site packs are tried before the shipped packs ---------------------------------
if run 0 classify --format=jsonl - <<<"550 5.7.1 Unable to relay"; then
  expect out '"category":"relay_denied"' "shipped packs alone"
fi
if run 0 classify --format=jsonl --rules site-first.rules - <<<"550 5.7.1 Unable to relay"; then
  expect out '"category":"transport_rule_reject",.*"rule":\{"id":"cli_site\.relay","file":"site-first\.rules","line":7' \
    "--rules: the site rule wins over the shipped one"
  expect err '^ndrsift: 1 record from 1 input: 1 classified, 0 unknown$' "--rules: summary"
fi
# stdin by default, and the input is called stdin
if run 0 classify --format=csv <<<"550 5.1.1 User unknown"; then
  expect out '^stdin,1,1,line,' "classify reads stdin by default"
fi
# CSV for spreadsheets: a cell that starts like a formula shows as text
if run 0 classify --format=csv -q <<<"=HYPERLINK(\"http://x\") 550 5.1.1 User unknown"; then
  expect out '^stdin,1,1,line,.*,"'"'"'=HYPERLINK\(""http://x""\) 550 5\.1\.1 User unknown",' \
    "csv: a formula-like diagnostic gets a leading apostrophe"
  expect out '^stdin,1,1,line,,550,5\.1\.1,user_unknown,' "csv: other cells as they are"
fi
if run 0 classify --format=csv --csv-raw -q <<<"=HYPERLINK(\"http://x\") 550 5.1.1 User unknown"; then
  expect out ',"=HYPERLINK\(""http://x""\) 550 5\.1\.1 User unknown",' "csv: --csv-raw keeps the cell"
fi
if run 2 explain --csv-raw "550 5.1.1 User unknown"; then
  expect err 'explain has no --csv-raw' "explain: no --csv-raw"
fi

# --- ndrsift test: failures at the example's own line, naming the thief ---------
if run 1 test stolen.rules </dev/null; then
  expect err "^stolen\.rules:18:14: error: example of rule 'cli_stolen\.mailbox' is classified by earlier rule 'cli_stolen\.any_relay' \(stolen\.rules:8\)" \
    "test: stolen example"
  expect err "^stolen\.rules:19:21: error: counterexample is classified by rule 'cli_stolen\.mailbox' itself" \
    "test: matched counterexample"
  [[ $(tail -n 1 "$out") == "2 passed, 2 failed" ]] || {
    echo "FAIL test stolen.rules: last line is '$(tail -n 1 "$out")'"
    failed=$((failed + 1))
  }
fi
if run 0 test site-first.rules </dev/null; then expect out '^1 passed, 0 failed$' "test of a good pack"; fi
if run 1 lint "$src/tests/lint/unknown-category.rules" </dev/null; then empty out "lint writes only to stderr"; fi
if run 1 test "$src/tests/lint/unknown-category.rules" </dev/null; then
  expect err "do not compile" "test of a pack with errors"
fi

echo "cli.basics: $checks checks, $failed failed"
((failed == 0))
