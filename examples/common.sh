# Shell helpers shared by the example scripts and their tests (sourced, not run).

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f s", b - a }'; }

# prepare_febrl IN OUT: a FEBRL file as a custodian would clean it (FEBRL's ", " separators,
# padding and CRLF line ends removed). Part of each custodian's preparation, not the library.
prepare_febrl() { tr -d '\r' <"$1" | sed -e 's/^ *//' -e 's/ *, */,/g' -e 's/ *$//' >"$2"; }

# score_febrl4_indices A.csv B.csv LINKS.csv: precision, recall and F1 of links given as
# data-row indices (a_index,b_index,... with a header), against the truth in rec_id
# (row i of A and row j of B are the same person iff their rec-N numbers are equal).
score_febrl4_indices() {
    awk -F, '
      FNR == 1 { next }
      FILENAME == ARGV[1] { split($1, p, "-"); ida[FNR - 2] = p[2]; na++; next }
      FILENAME == ARGV[2] { split($1, p, "-"); idb[FNR - 2] = p[2]; nb++; next }
      { links++; if (ida[$1] == idb[$2]) tp++ }
      END {
        for (i in ida) a_ent[ida[i]] = 1
        for (j in idb) if (idb[j] in a_ent) truth++
        prec = links ? tp / links : 0; rec = truth ? tp / truth : 0
        f1 = (prec + rec) ? 2 * prec * rec / (prec + rec) : 0
        printf "records: A %d, B %d; true pairs: %d\n", na, nb, truth
        printf "links: %d (true %d, false %d, missed %d)\n", links, tp, links - tp, truth - tp
        printf "precision %.4f  recall %.4f  F1 %.4f\n", prec, rec, f1
      }' "$1" "$2" "$3"
}

# plot_report DIR FILES: draw DIR/report.json (+ DIR/links.csv) into DIR/report.svg with
# scripts/plot when matplotlib is installed, then say where the outputs (FILES) are.
plot_report() {
    local plot
    plot=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/plot
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null &&
        /usr/bin/python3 "$plot" link "$1/report.json" --links "$1/links.csv" -o "$1/report.svg" --force; then
        echo "outputs in $1 ($2, report.svg)"
    else
        echo "outputs in $1 ($2); no plot: matplotlib is missing (scripts/bootstrap installs it)"
    fi
}
