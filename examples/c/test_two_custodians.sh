#!/usr/bin/env bash
# Test of the C example (examples/c/two_custodians.c) on FEBRL4 (5000 + 5000 records, 5000
# true pairs), prepared as examples/febrl4/run.sh does, with the fixed secret of the
# reference vectors. Checks:
#   1. its links are byte-identical to `tznr encode` + `tznr match` (greedy 1:1, Dice >= 0.8)
#      on the same inputs: the example and the CLI are two routes to one result;
#   2. against the truth in rec_id, precision and recall reach clkhash's published FEBRL4
#      result for this schema (precision 1.000, recall 0.992; we require >= 0.99 both);
#   3. bad input: a missing CSV gives exit status 1 and a message naming the file, and no
#      partial output; a bad threshold gives the usage status 2.
# Usage (meson): test_two_custodians.sh EXAMPLE_BINARY EXAMPLES_DIR, with TZNR_CLI, TZNR_TEST_DATA.
set -u
EX=${1:?usage: test_two_custodians.sh EXAMPLE EXAMPLES_DIR}
EXAMPLES=${2:?usage: test_two_custodians.sh EXAMPLE EXAMPLES_DIR}
CLI=${TZNR_CLI:?TZNR_CLI is not set}
KEY=${TZNR_TEST_DATA:?TZNR_TEST_DATA is not set}/vectors/input/secret_1.txt
SCHEMA=$EXAMPLES/febrl4/schema.json
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tznr-example-c-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }

. "$EXAMPLES/common.sh"
prepare_febrl "$EXAMPLES/data/dataset4a.csv" "$WORK/a.csv"
prepare_febrl "$EXAMPLES/data/dataset4b.csv" "$WORK/b.csv"

# 1. same links as the CLI
if "$EX" "$SCHEMA" "$KEY" "$WORK/a.csv" "$WORK/b.csv" 0.8 >"$WORK/ex.csv" 2>"$WORK/ex.err"; then
    ok "example runs ($(cat "$WORK/ex.err"))"
else
    fail "example runs" "$(cat "$WORK/ex.err")"
fi
"$CLI" encode -s "$SCHEMA" -k "$KEY" -o "$WORK/a.json" "$WORK/a.csv" 2>/dev/null &&
"$CLI" encode -s "$SCHEMA" -k "$KEY" -o "$WORK/b.json" "$WORK/b.csv" 2>/dev/null &&
"$CLI" match --threshold 0.8 -o "$WORK/cli.csv" "$WORK/a.json" "$WORK/b.json" 2>/dev/null ||
    fail "CLI route" "tznr encode/match failed"
if [ -s "$WORK/cli.csv" ] && cmp -s "$WORK/ex.csv" "$WORK/cli.csv"; then
    ok "links identical to tznr encode + tznr match ($(($(wc -l <"$WORK/cli.csv") - 1)) links)"
else
    fail "links identical to the CLI" "$(diff "$WORK/ex.csv" "$WORK/cli.csv" | head -5)"
fi

# 2. quality against the truth (rec-N-org <-> rec-N-dup-0)
read -r prec rec < <(score_febrl4_indices "$WORK/a.csv" "$WORK/b.csv" "$WORK/ex.csv" |
    awk '/^precision/ { print $2, $4 }')
if awk -v p="$prec" -v r="$rec" 'BEGIN { exit !(p >= 0.99 && r >= 0.99) }'; then
    ok "precision $prec, recall $rec (clkhash reference 1.000 / 0.992)"
else
    fail "quality" "precision $prec, recall $rec below 0.99"
fi

# 3. bad input
"$EX" "$SCHEMA" "$KEY" "$WORK/a.csv" "$WORK/missing.csv" >"$WORK/out.csv" 2>"$WORK/err"
st=$?
if [ $st -eq 1 ] && grep -q "missing.csv" "$WORK/err" && [ ! -s "$WORK/out.csv" ]; then
    ok "missing B file: status 1, named, no output"
else
    fail "missing B file" "status $st: $(cat "$WORK/err")"
fi
"$EX" "$SCHEMA" "$KEY" "$WORK/a.csv" "$WORK/b.csv" 1.5 >/dev/null 2>"$WORK/err"
st=$?
if [ $st -eq 2 ]; then ok "threshold 1.5: usage status 2"; else fail "threshold 1.5" "status $st"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
