#!/usr/bin/env bash
# The main job on FEBRL4 (5000 + 5000 records, 5000 true pairs):
#   1. each data custodian prepares its CSV (FEBRL's ", " separators and padding removed);
#   2. the custodians share a random secret (tznr keygen), never given to the linkage unit;
#   3. custodian A and custodian B encode their file into CLKs (tznr encode);
#   4. the linkage unit matches the two CLK files (tznr match, Dice >= 0.8, greedy 1:1);
#   5. the result is scored against the truth carried in rec_id (rec-N-org <-> rec-N-dup-0).
# Usage: examples/febrl4/run.sh [PATH_TO_TZNR] [OUTPUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data
tznr=${1:-tznr}
out=${2:-$(mktemp -d "${TMPDIR:-/tmp}/tznr-febrl4.XXXXXX")}
threshold=${THRESHOLD:-0.8}
mkdir -p "$out"
. "$here/../common.sh"

# FEBRL fields are separated by ", " and some values carry extra spaces; dataset4a.csv has
# CRLF line ends. Cleaning is part of each custodian's preparation (prepare_febrl), not of
# the library.

t0=$(now)
prepare_febrl "$data/dataset4a.csv" "$out/a.csv"
prepare_febrl "$data/dataset4b.csv" "$out/b.csv"
t1=$(now)
"$tznr" keygen --output "$out/shared.key" --force
"$tznr" encode --schema "$here/schema.json" --secret-file "$out/shared.key" --output "$out/a.clks.json" --force "$out/a.csv"
t2=$(now)
"$tznr" encode --schema "$here/schema.json" --secret-file "$out/shared.key" --output "$out/b.clks.json" --force "$out/b.csv"
t3=$(now)
rm -f "$out/shared.key"   # the linkage unit below only ever sees the two CLK files
"$tznr" match --threshold "$threshold" --output "$out/links.csv" --force "$out/a.clks.json" "$out/b.clks.json"
t4=$(now)

# Truth: row i of A and row j of B are the same person iff their rec_id numbers are equal.
score_febrl4_indices "$out/a.csv" "$out/b.csv" "$out/links.csv"
echo "wall time: prepare $(elapsed "$t0" "$t1"), encode A $(elapsed "$t1" "$t2"), encode B $(elapsed "$t2" "$t3"), match $(elapsed "$t3" "$t4")"
echo "outputs in $out (a.clks.json, b.clks.json, links.csv)"
