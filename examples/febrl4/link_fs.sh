#!/usr/bin/env bash
# Probabilistic linkage of FEBRL4 on encodings (Fellegi-Sunter + EM, no labels):
#   1. each custodian prepares its CSV and encodes it into a native container with
#      field-level Bloom filters (tznr encode --format tznr);
#   2. the linkage unit runs tznr link (match probability >= 0.5, 1:1) and writes a report;
#   3. the links are scored against the truth in rec_id, beside the report's estimates.
# Usage: examples/febrl4/link_fs.sh [PATH_TO_TZNR] [OUTPUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data
tznr=${1:-tznr}
out=${2:-$(mktemp -d "${TMPDIR:-/tmp}/tznr-febrl4-fs.XXXXXX")}
threshold=${THRESHOLD:-0.5}
mkdir -p "$out"
. "$here/../common.sh"

t0=$(now)
prepare_febrl "$data/dataset4a.csv" "$out/a.csv"
prepare_febrl "$data/dataset4b.csv" "$out/b.csv"
"$tznr" keygen --output "$out/shared.key" --force
t1=$(now)
"$tznr" encode --format tznr --schema "$here/schema_fs.json" --secret-file "$out/shared.key" --output "$out/a.tznr" --force "$out/a.csv"
"$tznr" encode --format tznr --schema "$here/schema_fs.json" --secret-file "$out/shared.key" --output "$out/b.tznr" --force "$out/b.csv"
t2=$(now)
rm -f "$out/shared.key"
"$tznr" link --threshold "$threshold" --output "$out/links.csv" --report "$out/report.json" --force "$out/a.tznr" "$out/b.tznr"
t3=$(now)

# truth: rec-N-org in A and rec-N-dup-0 in B are the same person
awk -F, '
  FNR == 1 { next }
  FILENAME == ARGV[1] { split($1, p, "-"); ent_a[p[2]] = 1; na++; next }
  FILENAME == ARGV[2] { split($1, p, "-"); if (p[2] in ent_a) truth++; nb++; next }
  { split($1, x, "-"); split($2, y, "-"); links++; if (x[2] == y[2]) tp++ }
  END {
    prec = links ? tp / links : 0; rec = truth ? tp / truth : 0
    f1 = (prec + rec) ? 2 * prec * rec / (prec + rec) : 0
    printf "records: A %d, B %d; true pairs: %d\n", na, nb, truth
    printf "links: %d (true %d, false %d, missed %d)\n", links, tp, links - tp, truth - tp
    printf "true:      precision %.4f  recall %.4f  F1 %.4f\n", prec, rec, f1
  }' "$out/a.csv" "$out/b.csv" "$out/links.csv"
python3 - "$out/report.json" <<'PY' 2>/dev/null || grep -E '"(precision|recall|converged|iterations|lambda)"' "$out/report.json"
import json, sys
r = json.load(open(sys.argv[1]))
e = r["estimated"]
print(f"estimated: precision {e['precision']:.4f}  recall {e['recall']:.4f}   (from the posteriors, no truth)")
print(f"EM: {r['em']['iterations']} iterations, converged {r['em']['converged']}, lambda {r['lambda']:.3g}, "
      f"{r['pairs_compared']} pairs, {r['distinct_patterns']} patterns")
PY
echo "wall time: encode A+B $(elapsed "$t1" "$t2"), link (comparisons + EM + 1:1) $(elapsed "$t2" "$t3")"
# the model as a picture (match weights, m/u, links' weights), when matplotlib is installed
plot_report "$out" "a.tznr, b.tznr, links.csv, report.json"
