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
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f s", b - a }'; }

# FEBRL fields are separated by ", " and some values carry extra spaces; dataset4a.csv has
# CRLF line ends. Cleaning is part of each custodian's preparation, not of the library.
prepare() { tr -d '\r' < "$1" | sed -e 's/^ *//' -e 's/ *, */,/g' -e 's/ *$//' > "$2"; }

t0=$(now)
prepare "$data/dataset4a.csv" "$out/a.csv"
prepare "$data/dataset4b.csv" "$out/b.csv"
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
awk -F, -v nb_file="$out/b.csv" '
  FNR == 1 { next }
  FILENAME == ARGV[1] { split($1, p, "-"); ida[FNR - 2] = p[2]; na++; next }
  FILENAME == ARGV[2] { split($1, p, "-"); idb[FNR - 2] = p[2]; nb++; next }
  { links++; if (ida[$1] == idb[$2]) tp++ }
  END {
    for (i in ida) a_ent[ida[i]] = 1
    for (j in idb) if (idb[j] in a_ent) truth++
    prec = links ? tp / links : 0; rec = truth ? tp / truth : 0; f1 = (prec + rec) ? 2 * prec * rec / (prec + rec) : 0
    printf "records: A %d, B %d; true pairs: %d\n", na, nb, truth
    printf "links: %d (true %d, false %d, missed %d)\n", links, tp, links - tp, truth - tp
    printf "precision %.4f  recall %.4f  F1 %.4f\n", prec, rec, f1
  }' "$out/a.csv" "$out/b.csv" "$out/links.csv"
echo "wall time: prepare $(elapsed "$t0" "$t1"), encode A $(elapsed "$t1" "$t2"), encode B $(elapsed "$t2" "$t3"), match $(elapsed "$t3" "$t4")"
echo "outputs in $out (a.clks.json, b.clks.json, links.csv)"
