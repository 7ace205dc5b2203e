#!/usr/bin/env bash
# Determinism (issue 3, item 5): the same inputs give byte-identical outputs whatever the run,
# the thread count (--threads, when the command has it) and the comparison kernel
# (TZNR_KERNEL=scalar|avx2|avx512; a kernel this CPU cannot run falls back to the default,
# as documented in compare.h). Inputs: FEBRL4 (5000 + 5000 records, examples/data), prepared
# as examples/febrl4/run.sh does, and the fixed secret of the reference vectors.
# Run by meson (suites 'determinism' and 'threads') with TZNR_CLI and TZNR_TEST_DATA; the
# first argument is the examples directory. Prints one line per check, then
# "N passed, M failed".
set -u

CLI=${TZNR_CLI:?TZNR_CLI is not set}
DATA=${TZNR_TEST_DATA:?TZNR_TEST_DATA is not set}
EXAMPLES=${1:?usage: test_determinism.sh EXAMPLES_DIR}
KEY=$DATA/vectors/input/secret_1.txt
SCHEMA=$EXAMPLES/febrl4/schema.json
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tznr-determinism-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }

. "$EXAMPLES/common.sh"
prepare_febrl "$EXAMPLES/data/dataset4a.csv" "$WORK/a.csv"
prepare_febrl "$EXAMPLES/data/dataset4b.csv" "$WORK/b.csv"

# thread counts to try, when the commands take --threads (1, 2, 3 and more than the CPUs)
enc_threads=("")
match_threads=("")
if "$CLI" encode --help 2>/dev/null | grep -q -- '--threads'; then enc_threads=("" 1 2 3 8); fi
if "$CLI" match --help 2>/dev/null | grep -q -- '--threads'; then match_threads=("" 1 2 3 8); fi
kernels=("" scalar avx2 avx512)
runs_on() { # kernel NAME: whether this CPU runs it (else TZNR_KERNEL=NAME is the default)
    case $1 in
    "" | scalar) return 0 ;;
    avx2) grep -qw avx2 /proc/cpuinfo 2>/dev/null ;;
    avx512) grep -qw avx512_vpopcntdq /proc/cpuinfo 2>/dev/null ;;
    esac
}
et=${enc_threads[*]:1} mt=${match_threads[*]:1}
echo "# --threads tried: encode: ${et:-none (no such option)}; match: ${mt:-none (no such option)}"
echo "# kernels this CPU runs: scalar$(runs_on avx2 && echo ' avx2')$(runs_on avx512 && echo ' avx512')"

# same FILE REFERENCE NAME: FILE is byte-identical to REFERENCE
same() {
    if cmp -s "$1" "$2"; then ok "$3"; else fail "$3" "$(cmp "$1" "$2" 2>&1 | head -n 1)"; fi
}
# run OUT ARGS...: tznr ARGS --output OUT; a failure is reported and returns 1
run() {
    local out=$1
    shift
    if ! "$CLI" "$@" --output "$out" --force 2>"$WORK/stderr"; then
        fail "tznr $*" "exit $?: $(head -c 2000 "$WORK/stderr")"
        return 1
    fi
}

# ---- encode: twice, then every thread count
for side in a b; do
    run "$WORK/$side.ref.json" encode --schema "$SCHEMA" --secret-file "$KEY" "$WORK/$side.csv" || continue
    n=$(grep -c '"[A-Za-z0-9+/=]\{20,\}"' "$WORK/$side.ref.json")
    if [ "$n" -ge 4999 ]; then ok "encode $side: $n CLKs"; else fail "encode $side" "only $n CLKs"; fi
    run "$WORK/$side.again.json" encode --schema "$SCHEMA" --secret-file "$KEY" "$WORK/$side.csv" &&
        same "$WORK/$side.again.json" "$WORK/$side.ref.json" "encode $side: second run byte-identical"
    for t in "${enc_threads[@]}"; do
        [ -n "$t" ] && [ "$side" = a ] || continue   # B: enough for the match below (TSan time)
        run "$WORK/$side.t$t.json" encode --threads "$t" --schema "$SCHEMA" --secret-file "$KEY" "$WORK/$side.csv" &&
            same "$WORK/$side.t$t.json" "$WORK/$side.ref.json" "encode $side --threads $t byte-identical"
    done
    # from standard input (a different reading path) too
    [ "$side" = a ] || continue
    if "$CLI" encode --schema "$SCHEMA" --secret-file "$KEY" - <"$WORK/$side.csv" >"$WORK/$side.stdin.json" 2>"$WORK/stderr"; then
        same "$WORK/$side.stdin.json" "$WORK/$side.ref.json" "encode $side from standard input byte-identical"
    else
        fail "encode $side from standard input" "$(cat "$WORK/stderr")"
    fi
done

# ---- match: candidates at 0.77 (about 25,000 pairs, many equal scores: the order must not depend on anything)
# and greedy links at 0.8; twice, every kernel, every thread count
A=$WORK/a.ref.json
B=$WORK/b.ref.json
if [ -f "$A" ] && [ -f "$B" ]; then
    for mode in "none 0.77" "greedy 0.8"; do
        set -- $mode
        solver=$1 thr=$2
        ref=$WORK/m.$solver.ref.csv
        run "$ref" match --threshold "$thr" --solver "$solver" "$A" "$B" || continue
        n=$(($(wc -l <"$ref") - 1))
        ties=$(cut -d, -f3 "$ref" | sort | uniq -d | wc -l)
        if [ "$n" -gt 4000 ] && { [ "$solver" = greedy ] || [ "$ties" -gt 0 ]; }; then
            ok "match --solver $solver --threshold $thr: $n pairs, $ties tied scores"
        else
            fail "match --solver $solver --threshold $thr" "$n pairs, $ties tied scores: too few to test the order"
        fi
        run "$WORK/m.again.csv" match --threshold "$thr" --solver "$solver" "$A" "$B" &&
            same "$WORK/m.again.csv" "$ref" "match --solver $solver: second run byte-identical"
        # every kernel (default threads), every thread count (default kernel), and the two
        # changed at once
        combos=()
        for k in "${kernels[@]}"; do [ -z "$k" ] || combos+=("$k:"); done
        for t in "${match_threads[@]}"; do [ -z "$t" ] || combos+=(":$t"); done
        [ "${#match_threads[@]}" = 1 ] || combos+=("scalar:3" "avx2:2")
        for c in "${combos[@]}"; do
            k=${c%%:*} t=${c#*:}
            label="match --solver $solver${t:+ --threads $t}${k:+ TZNR_KERNEL=$k}"
            runs_on "$k" || label="$label (not on this CPU: default kernel)"
            if TZNR_KERNEL=$k run "$WORK/m.k.csv" match ${t:+--threads "$t"} --threshold "$thr" --solver "$solver" "$A" "$B"; then
                same "$WORK/m.k.csv" "$ref" "$label byte-identical"
            fi
        done
        # A and B swapped: the same candidate pairs with the indices swapped (not for greedy,
        # whose tie-breaking by a_index then b_index depends on which side is A)
        if [ "$solver" = none ] && run "$WORK/m.swap.csv" match --threshold "$thr" --solver "$solver" "$B" "$A"; then
            awk -F, 'NR == 1 { print; next } { print $2 "," $1 "," $3 | "LC_ALL=C sort" }' \
                "$WORK/m.swap.csv" >"$WORK/m.swapped.csv"
            awk 'NR == 1 { print; next } { print | "LC_ALL=C sort" }' "$ref" >"$WORK/m.sorted.csv"
            same "$WORK/m.swapped.csv" "$WORK/m.sorted.csv" "match --solver $solver with A and B swapped: the same pairs and scores"
        fi
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
