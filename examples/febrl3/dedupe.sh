#!/usr/bin/env bash
# Probabilistic deduplication of FEBRL3 (5000 records, 2000 entities, 6538 true pairs) on
# encodings: encode into a native container, tznr dedupe (match probability >= 0.5), then
# pairwise precision, recall and F1 of the clusters against the truth in rec_id.
# Usage: examples/febrl3/dedupe.sh [PATH_TO_TZNR] [OUTPUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data
tznr=${1:-tznr}
out=${2:-$(mktemp -d "${TMPDIR:-/tmp}/tznr-febrl3.XXXXXX")}
threshold=${THRESHOLD:-0.5}
mkdir -p "$out"
. "$here/../common.sh"
prepare_febrl "$data/dataset3.csv" "$out/records.csv"
"$tznr" keygen --output "$out/secret.key" --force
t0=$(now)
"$tznr" encode --format tznr --schema "$here/../febrl4/schema_fs.json" --secret-file "$out/secret.key" --output "$out/records.tznr" --force "$out/records.csv"
t1=$(now)
rm -f "$out/secret.key"
"$tznr" dedupe --threshold "$threshold" --output "$out/clusters.csv" --links "$out/links.csv" --report "$out/report.json" --force "$out/records.tznr"
t2=$(now)

# pairwise evaluation: predicted pairs = pairs within a cluster; true pairs = same rec-N-
awk -F, '
  FNR == 1 { next }
  { split($1, p, "-"); ent = p[2]; cl = $2
    n_ent[ent]++; n_cl[cl]++; n_both[ent SUBSEP cl]++ }
  END {
    for (e in n_ent) truth += n_ent[e] * (n_ent[e] - 1) / 2
    for (c in n_cl) pred += n_cl[c] * (n_cl[c] - 1) / 2
    for (k in n_both) tp += n_both[k] * (n_both[k] - 1) / 2
    prec = pred ? tp / pred : 0; rec = truth ? tp / truth : 0
    f1 = (prec + rec) ? 2 * prec * rec / (prec + rec) : 0
    printf "true pairs: %d; predicted pairs: %d (true %d, false %d, missed %d)\n", truth, pred, tp, pred - tp, truth - tp
    printf "pairwise: precision %.4f  recall %.4f  F1 %.4f\n", prec, rec, f1
  }' "$out/clusters.csv"
python3 - "$out/report.json" <<'PY' 2>/dev/null || true
import json, sys
r = json.load(open(sys.argv[1]))
e = r["estimated"]
print(f"estimated (links, from the posteriors): precision {e['precision']:.4f}  recall {e['recall']:.4f}")
print(f"EM: {r['em']['iterations']} iterations, converged {r['em']['converged']}, {r['pairs_compared']} pairs, {r['distinct_patterns']} patterns")
PY
echo "wall time: encode $(elapsed "$t0" "$t1"), dedupe $(elapsed "$t1" "$t2")"
# the model as a picture (match weights, m/u, links' weights), when matplotlib is installed
plot_report "$out" "records.tznr, clusters.csv, links.csv, report.json"
