#!/usr/bin/env bash
# End-to-end checks of the tznr command. Run by meson with TZNR_CLI (the built tznr) and
# TZNR_TEST_DATA (tests/data). Prints one line per check, then "N passed, M failed".
set -u

CLI=${TZNR_CLI:?TZNR_CLI is not set}
DATA=${TZNR_TEST_DATA:?TZNR_TEST_DATA is not set}
V=$DATA/vectors
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tznr-cli-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1${2:+: $2}"; }

# run ARGS...: runs tznr, sets $rc, $out (stdout) and $err (stderr)
run() {
    "$CLI" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    rc=$?
    out=$(cat "$WORK/stdout")
    err=$(cat "$WORK/stderr")
}
# run_in FILE ARGS...: same, with FILE on standard input
run_in() {
    local input=$1
    shift
    "$CLI" "$@" <"$input" >"$WORK/stdout" 2>"$WORK/stderr"
    rc=$?
    out=$(cat "$WORK/stdout")
    err=$(cat "$WORK/stderr")
}

# expect NAME STATUS [STDERR-SUBSTRING...]: checks the last run failed with STATUS, printed
# nothing on stdout and every substring on stderr
expect_fail() {
    local name=$1 status=$2
    shift 2
    if [ "$rc" != "$status" ]; then
        fail "$name" "exit $rc, expected $status; stderr: $err"
        return
    fi
    if [ -s "$WORK/stdout" ]; then
        fail "$name" "stdout not empty on failure"
        return
    fi
    local s
    for s in "$@"; do
        case $err in
        *"$s"*) ;;
        *) fail "$name" "stderr lacks '$s': $err"; return ;;
        esac
    done
    ok "$name"
}

expect_ok() {
    if [ "$rc" = 0 ]; then ok "$1"; else fail "$1" "exit $rc; stderr: $err"; fi
}

# ---------------------------------------------------------------- help, version, usage
run --help
if [ "$rc" = 0 ] && [[ $out == *"Usage: tznr"* ]] && [[ $out == *"encode"* ]] &&
   [[ $out == *"match"* ]] && [[ $out == *"Exit status"* ]] && [[ $out == *"  2  usage"* ]]; then
    ok "--help prints usage, commands and exit statuses"
else
    fail "--help" "exit $rc: $out"
fi
run --version
if [ "$rc" = 0 ] && [ "$out" = "tznr 0.1.0" ]; then ok "--version"; else fail "--version" "exit $rc: '$out'"; fi
run help encode
if [ "$rc" = 0 ] && [[ $out == *"--secret-file"* ]]; then ok "help encode"; else fail "help encode" "exit $rc"; fi
run match --help
if [ "$rc" = 0 ] && [[ $out == *"--threshold"* ]] && [[ $out == *"Exit status"* ]]; then
    ok "match --help"
else
    fail "match --help" "exit $rc"
fi
run encode -h
if [ "$rc" = 0 ] && [[ $out == *"--schema"* ]]; then ok "encode -h"; else fail "encode -h" "exit $rc"; fi
run
expect_fail "no command: usage error" 2
run frobnicate
expect_fail "unknown command: usage error" 2 "unknown command 'frobnicate'"
run help frobnicate
expect_fail "help for an unknown command: usage error" 2 "frobnicate"
run --bogus
expect_fail "unknown global option: usage error" 2 "--bogus"
run encode --bogus x.csv
expect_fail "encode: unknown option: usage error" 2 "--bogus" "Try 'tznr encode --help'"
run encode -x x.csv
expect_fail "encode: unknown short option: usage error" 2 "-x"
run encode --force=1 x.csv
expect_fail "encode: value for a flag: usage error" 2 "--force"
run encode --secret-file "$V/input/secret_1.txt" "$V/input/people_a.csv" --schema
expect_fail "encode: option without its value: usage error" 2 "--schema"
run encode --secret-file "$V/input/secret_1.txt" "$V/input/people_a.csv"
expect_fail "encode: missing --schema: usage error" 2 "--schema"
run encode --schema "$V/schemas/s1_example.a.json" "$V/input/people_a.csv"
expect_fail "encode: missing --secret-file: usage error" 2 "--secret-file"
run encode --schema "$V/schemas/s1_example.a.json" --secret-file "$V/input/secret_1.txt"
expect_fail "encode: missing input: usage error" 2 "input"
run encode --schema "$V/schemas/s1_example.a.json" --secret-file "$V/input/secret_1.txt" a.csv b.csv
expect_fail "encode: two inputs: usage error" 2 "b.csv"
run match --threshold 0.7 "$V/clks/s1_example.a.clks.json"
expect_fail "match: one input: usage error" 2
run match "$V/clks/s1_example.a.clks.json" "$V/clks/s1_example.b.clks.json"
expect_fail "match: missing --threshold: usage error" 2 "--threshold"
for t in abc 1.5 -0.1 nan inf "" " 0.5" 0.5x 1e400; do
    run match --threshold "$t" "$V/clks/s1_example.a.clks.json" "$V/clks/s1_example.b.clks.json"
    expect_fail "match: --threshold '$t' is a usage error" 2 "threshold"
done
run match --threshold 0.7 --solver best "$V/clks/s1_example.a.clks.json" "$V/clks/s1_example.b.clks.json"
expect_fail "match: unknown --solver: usage error" 2 "best"

# ---------------------------------------------------------------- encode: clkhash vectors
encode_check() { # NAME SCHEMA SECRET CSV EXPECTED
    local name=$1 schema=$2 secret=$3 csv=$4 expected=$5
    local o="$WORK/enc.json"
    rm -f "$o"
    run encode --schema "$schema" --secret-file="$secret" --output "$o" "$csv"
    if [ "$rc" != 0 ]; then
        fail "encode $name reproduces clkhash" "exit $rc: $err"
    elif [ -n "$out" ]; then
        fail "encode $name reproduces clkhash" "unexpected stdout"
    elif ! cmp -s "$o" "$expected"; then
        fail "encode $name reproduces clkhash" "$(cmp "$o" "$expected" 2>&1)"
    else
        ok "encode $name reproduces clkhash byte for byte"
    fi
}
for s in s1_example:secret_1 s2_doublehash:secret_1 s2ns_doublehash_nonsingular:secret_1 s3_mixed:secret_2; do
    schema=${s%%:*} secret=${s##*:}
    for side in a b; do
        encode_check "$schema.$side" "$V/schemas/$schema.$side.json" "$V/input/$secret.txt" \
            "$V/input/people_$side.csv" "$V/clks/$schema.$side.clks.json"
    done
done
encode_check s4_numeric "$V/schemas/s4_numeric.json" "$V/input/secret_1.txt" \
    "$V/input/numeric.csv" "$V/clks/s4_numeric.clks.json"

# standard input and standard output
run_in "$V/input/people_b.csv" encode -s "$V/schemas/s1_example.b.json" -k "$V/input/secret_1.txt" -
if [ "$rc" = 0 ] && cmp -s "$WORK/stdout" "$V/clks/s1_example.b.clks.json"; then
    ok "encode from stdin to stdout"
else
    fail "encode from stdin to stdout" "exit $rc: $err"
fi
# options after the operand (permutation)
run encode "$V/input/people_b.csv" --output - --secret-file "$V/input/secret_1.txt" --schema="$V/schemas/s1_example.b.json"
if [ "$rc" = 0 ] && cmp -s "$WORK/stdout" "$V/clks/s1_example.b.clks.json"; then
    ok "encode with options after the input and --output -"
else
    fail "encode with options after the input" "exit $rc: $err"
fi
# the secret never appears in any output
run encode --schema "$V/schemas/s1_example.a.json" --secret-file "$V/input/secret_1.txt" "$WORK/missing.csv"
if [[ $err != *"horse battery"* ]] && [[ $out != *"horse battery"* ]]; then
    ok "the secret is not printed"
else
    fail "the secret is not printed" "$err"
fi

# ---------------------------------------------------------------- match: anonlink vectors
if command -v python3 >/dev/null 2>&1; then
    cat >"$WORK/cmp.py" <<'EOF'
import csv, json, sys
mode, expected, got = sys.argv[1], sys.argv[2], sys.argv[3]
with open(expected, encoding="utf-8") as f:
    exp = json.load(f)["pairs"]
with open(got, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
if not rows or rows[0] != ["a_index", "b_index", "score"]:
    sys.exit("bad header: %r" % (rows[:1],))
rows = rows[1:]
got_pairs = [(int(r[0]), int(r[1]), float(r[2])) for r in rows]
if mode == "candidates":
    want = [(p["a_index"], p["b_index"], float(p["score"])) for p in exp]
    if got_pairs != want:
        sys.exit("candidates differ:\n got  %r\n want %r" % (got_pairs, want))
else:
    want = sorted((p["a_index"], p["b_index"]) for p in exp)
    have = sorted((a, b) for a, b, _ in got_pairs)
    if have != want:
        sys.exit("pairs differ:\n got  %r\n want %r" % (have, want))
    if [s for _, _, s in got_pairs] != sorted((s for _, _, s in got_pairs), reverse=True):
        sys.exit("links are not sorted by score")
print(len(got_pairs))
EOF
    for s in s1_example s2_doublehash s2ns_doublehash_nonsingular s3_mixed; do
        o="$WORK/cands.csv"
        rm -f "$o"
        run match --threshold 0.7 --solver none --output "$o" "$V/clks/$s.a.clks.json" "$V/clks/$s.b.clks.json"
        if [ "$rc" != 0 ]; then
            fail "match $s --solver none" "exit $rc: $err"
        elif msg=$(python3 "$WORK/cmp.py" candidates "$V/anonlink/$s.candidates_t0.7.json" "$o" 2>&1); then
            ok "match $s --solver none gives anonlink's $msg candidates"
        else
            fail "match $s --solver none" "$msg"
        fi
        run match --threshold=0.7 "$V/clks/$s.a.clks.json" "$V/clks/$s.b.clks.json"
        if [ "$rc" != 0 ]; then
            fail "match $s (greedy)" "exit $rc: $err"
        elif msg=$(python3 "$WORK/cmp.py" greedy "$V/anonlink/$s.greedy_t0.7.json" "$WORK/stdout" 2>&1); then
            ok "match $s (greedy) gives anonlink's $msg pairs"
        else
            fail "match $s (greedy)" "$msg"
        fi
    done
else
    fail "match vectors" "python3 not found"
fi
# threshold bounds are accepted
for t in 0 1 1.0 .5 5e-1; do
    run match --threshold "$t" "$V/clks/s1_example.a.clks.json" "$V/clks/s1_example.b.clks.json"
    expect_ok "match --threshold $t accepted"
done
# stdin for one of the inputs
run_in "$V/clks/s1_example.b.clks.json" match --threshold 0.7 --solver none "$V/clks/s1_example.a.clks.json" -
if [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 16 ]; then
    ok "match with B from stdin"
else
    fail "match with B from stdin" "exit $rc: $err"
fi
run match --threshold 0.7 - -
expect_fail "match: stdin twice: usage error" 2

# empty CLK set: no pairs, header only
printf '{"clks": []}\n' >"$WORK/empty.json"
run match --threshold 0.5 "$WORK/empty.json" "$V/clks/s1_example.b.clks.json"
if [ "$rc" = 0 ] && [ "$out" = "a_index,b_index,score" ]; then ok "match with an empty set"; else fail "match with an empty set" "exit $rc: $out $err"; fi

# ---------------------------------------------------------------- bad inputs
S1A="$V/schemas/s1_example.a.json"
K1="$V/input/secret_1.txt"
run encode --schema "$S1A" --secret-file "$K1" "$WORK/nope.csv"
expect_fail "encode: missing input file: exit 3" 3 "$WORK/nope.csv"
run encode --schema "$WORK/nope.json" --secret-file "$K1" "$V/input/people_a.csv"
expect_fail "encode: missing schema file: exit 3" 3 "$WORK/nope.json"
run encode --schema "$S1A" --secret-file "$WORK/nokey.txt" "$V/input/people_a.csv"
expect_fail "encode: missing secret file: exit 3" 3 "$WORK/nokey.txt"
: >"$WORK/emptykey.txt"
run encode --schema "$S1A" --secret-file "$WORK/emptykey.txt" "$V/input/people_a.csv"
expect_fail "encode: empty secret file: exit 1" 1
run match --threshold 0.7 "$WORK/nope.json" "$V/clks/s1_example.b.clks.json"
expect_fail "match: missing CLK file: exit 3" 3 "$WORK/nope.json"

for c in bad_string:features[0].hashing.strategy.bitsPerToken \
         bad_negative:features[0].hashing.strategy.bitsPerToken \
         bad_both:features[0].hashing.strategy bad_length:clkConfig.l; do
    f="$DATA/cases/C05/schema_${c%%:*}.json"
    rm -f "$WORK/c05.json"
    run encode --schema "$f" --secret-file "$K1" --output "$WORK/c05.json" "$DATA/cases/C07/plain.csv"
    expect_fail "encode: schema_${c%%:*}.json: exit 1 naming the file and ${c#*:}" 1 \
        "tznr encode: invalid linkage schema: $f: ${c#*:}"
    if [ -e "$WORK/c05.json" ]; then fail "schema_${c%%:*}.json left an output file"; fi
done

# a row error: bad date on line 4, bad gender on line 6
{
    head -n 3 "$V/input/people_a.csv"
    sed -n 4p "$V/input/people_a.csv" | awk -F, 'BEGIN{OFS=","} {$4="1999-13-45"; print}'
    sed -n 5p "$V/input/people_a.csv"
    sed -n 6p "$V/input/people_a.csv" | awk -F, 'BEGIN{OFS=","} {$5="Q"; print}'
} >"$WORK/rows.csv"
run encode --schema "$S1A" --secret-file "$K1" --output "$WORK/rows.json" "$WORK/rows.csv"
expect_fail "encode: row errors: exit 1 with file:line and column" 1 "$WORK/rows.csv:4" "dob" \
    "$WORK/rows.csv:6" "gender"
if [ -e "$WORK/rows.json" ] || ls -a "$WORK" | grep -q '\.tmp\.'; then
    fail "encode: no output file after a row error"
else
    ok "encode: no output file after a row error"
fi
# malformed CSV quoting
printf 'id,firstName,lastName,dob,gender,postcode,city\na01,"Ann"x,B,1980-01-01,F,12345,P\n' >"$WORK/quote.csv"
run encode --schema "$S1A" --secret-file "$K1" --output "$WORK/quote.json" "$WORK/quote.csv"
expect_fail "encode: malformed CSV: exit 1 with file:line" 1 "$WORK/quote.csv:2" "malformed CSV"
if [ -e "$WORK/quote.json" ]; then fail "encode: malformed CSV left an output file"; fi

# existing output without --force: exit 3, file untouched; with --force: replaced
echo "precious" >"$WORK/exists.json"
run encode --schema "$S1A" --secret-file "$K1" --output "$WORK/exists.json" "$V/input/people_a.csv"
if [ "$(cat "$WORK/exists.json")" = precious ]; then
    expect_fail "encode: existing output without --force: exit 3, file untouched" 3 "exists" "--force"
else
    fail "encode: existing output was modified"
fi
run encode --schema "$S1A" --secret-file "$K1" --output "$WORK/exists.json" --force "$V/input/people_a.csv"
if [ "$rc" = 0 ] && cmp -s "$WORK/exists.json" "$V/clks/s1_example.a.clks.json"; then
    ok "encode --force replaces the output"
else
    fail "encode --force replaces the output" "exit $rc: $err"
fi
echo "precious" >"$WORK/links.csv"
run match --threshold 0.7 -o "$WORK/links.csv" "$V/clks/s1_example.a.clks.json" "$V/clks/s1_example.b.clks.json"
if [ "$(cat "$WORK/links.csv")" = precious ]; then
    expect_fail "match: existing output without --force: exit 3, file untouched" 3 "exists"
else
    fail "match: existing output was modified"
fi
run match --threshold 0.7 -f -o "$WORK/links.csv" "$V/clks/s1_example.a.clks.json" "$V/clks/s1_example.b.clks.json"
if [ "$rc" = 0 ] && [ "$(head -n 1 "$WORK/links.csv")" = "a_index,b_index,score" ]; then
    ok "match --force replaces the output"
else
    fail "match --force replaces the output" "exit $rc: $err"
fi

# malformed CLK files
printf '{"clks": ["AAAA", 3]}' >"$WORK/bad.clks.json"
run match --threshold 0.7 "$V/clks/s1_example.a.clks.json" "$WORK/bad.clks.json"
expect_fail "match: malformed CLK file: exit 1 naming the file" 1 "$WORK/bad.clks.json" "clks["
printf '{"clks": ["AAAAAAAAAAA="]}' >"$WORK/short.clks.json"
run match --threshold 0.7 "$V/clks/s1_example.a.clks.json" "$WORK/short.clks.json"
expect_fail "match: different filter lengths: exit 1" 1 "short.clks.json"

# ---- match: threads, kernels, top-k, LSH blocking, --stats (issue 5) ----
FA=$DATA/febrl4_clks/a.json
FB=$DATA/febrl4_clks/b.json
run match --threshold 0.7 --solver none --threads 1 -o "$WORK/m_ref.csv" "$FA" "$FB"
expect_ok "match --threads 1 on FEBRL4 CLKs"
same_as_ref() { # NAME FILE
    if [ "$rc" = 0 ] && cmp -s "$2" "$WORK/m_ref.csv"; then ok "$1"; else fail "$1" "exit $rc: $err"; fi
}
for n in 2 3 8 0; do
    run match --threshold 0.7 --solver none --threads $n -o "$WORK/m_t$n.csv" "$FA" "$FB"
    same_as_ref "match --threads $n: same output as 1 thread" "$WORK/m_t$n.csv"
done
kernels="scalar"
grep -qw avx2 /proc/cpuinfo 2>/dev/null && kernels="$kernels avx2"
grep -qw avx512_vpopcntdq /proc/cpuinfo 2>/dev/null && grep -qw avx512bw /proc/cpuinfo && kernels="$kernels avx512"
for k in $kernels; do
    TZNR_KERNEL=$k "$CLI" match --threshold 0.7 --solver none --threads 2 --stats -o "$WORK/m_$k.csv" "$FA" "$FB" 2>"$WORK/k_err"
    rc=$?
    err=$(cat "$WORK/k_err")
    if [ "$rc" = 0 ] && cmp -s "$WORK/m_$k.csv" "$WORK/m_ref.csv" && grep -q "kernel $k," "$WORK/k_err"; then
        ok "TZNR_KERNEL=$k: kernel reported, same output"
    else
        fail "TZNR_KERNEL=$k: kernel reported, same output" "exit $rc: $err"
    fi
done
# top-k 1: per A row, the best pair of the full list (highest score, then lowest b row)
run match --threshold 0.7 --solver none --top-k 1 -o "$WORK/m_top1.csv" "$FA" "$FB"
awk -F, 'NR > 1 { if (!($1 in best) || $3 > s[$1] || ($3 == s[$1] && $2 + 0 < best[$1] + 0)) { best[$1] = $2; s[$1] = $3 } }
    END { for (a in best) print a "," best[a] }' "$WORK/m_ref.csv" | sort >"$WORK/top1_want"
awk -F, 'NR > 1 { print $1 "," $2 }' "$WORK/m_top1.csv" | sort >"$WORK/top1_got"
if [ "$rc" = 0 ] && [ -s "$WORK/top1_want" ] && cmp -s "$WORK/top1_want" "$WORK/top1_got"; then
    ok "match --top-k 1: the best pair of each A row"
else
    fail "match --top-k 1: the best pair of each A row" "exit $rc: $err"
fi
# LSH: a subset of the exhaustive pairs, same lines; reproducible; reported by --stats
run match --threshold 0.7 --solver none --blocking lsh --lsh-k 12 --lsh-tables 30 --stats -o "$WORK/m_lsh.csv" "$FA" "$FB"
lsh_err=$err
if [ "$rc" = 0 ] && [ "$(head -n 1 "$WORK/m_lsh.csv")" = "a_index,b_index,score" ] &&
    [ -z "$(comm -23 <(tail -n +2 "$WORK/m_lsh.csv" | sort) <(tail -n +2 "$WORK/m_ref.csv" | sort))" ] &&
    [ "$(wc -l <"$WORK/m_lsh.csv")" -gt 100 ]; then
    ok "match --blocking lsh: every pair is an exhaustive pair with the same score"
else
    fail "match --blocking lsh: every pair is an exhaustive pair with the same score" "exit $rc: $err"
fi
case $lsh_err in
*"LSH K 12, tables 30, seed 0x747a6e722d6c7368"*"reduction ratio"*|*"reduction ratio"*"LSH K 12, tables 30, seed 0x747a6e722d6c7368"*)
    ok "match --stats: LSH parameters, seed and reduction ratio" ;;
*) fail "match --stats: LSH parameters, seed and reduction ratio" "$lsh_err" ;;
esac
run match --threshold 0.7 --solver none --blocking lsh --lsh-k 12 --lsh-tables 30 --lsh-seed 0x747a6e722d6c7368 --threads 3 -o "$WORK/m_lsh2.csv" "$FA" "$FB"
if [ "$rc" = 0 ] && cmp -s "$WORK/m_lsh.csv" "$WORK/m_lsh2.csv"; then
    ok "match --blocking lsh: same seed, other thread count, same output"
else
    fail "match --blocking lsh: same seed, other thread count, same output" "exit $rc: $err"
fi
run match --threshold 0.7 --solver none --blocking lsh --lsh-k 12 --lsh-tables 30 --lsh-seed 7 -o "$WORK/m_lsh3.csv" "$FA" "$FB"
if [ "$rc" = 0 ] && ! cmp -s "$WORK/m_lsh.csv" "$WORK/m_lsh3.csv"; then
    ok "match --lsh-seed: another seed, other sampled bits"
else
    fail "match --lsh-seed: another seed, other sampled bits" "exit $rc: $err"
fi
# identical CLKs agree on every sampled bit: at threshold 1, LSH finds what exhaustive finds
run match --threshold 1 --solver none -o "$WORK/m_self.csv" "$FA" "$FA"
run match --threshold 1 --solver none --blocking lsh --lsh-k 64 --lsh-tables 1 -o "$WORK/m_self_lsh.csv" "$FA" "$FA"
if [ "$rc" = 0 ] && cmp -s "$WORK/m_self.csv" "$WORK/m_self_lsh.csv" && [ "$(wc -l <"$WORK/m_self.csv")" -gt 400 ]; then
    ok "match --blocking lsh: every pair of Dice 1 is found"
else
    fail "match --blocking lsh: every pair of Dice 1 is found" "exit $rc: $err"
fi
run match --threshold 0.8 --blocking lsh --lsh-recall 0.99 --lsh-goal mean --stats -o "$WORK/m_lsh4.csv" "$FA" "$FB"
case $err in
*"mean at the threshold"*) [ "$rc" = 0 ] && ok "match --lsh-recall --lsh-goal mean: parameters chosen" ||
    fail "match --lsh-recall --lsh-goal mean: parameters chosen" "exit $rc: $err" ;;
*) fail "match --lsh-recall --lsh-goal mean: parameters chosen" "exit $rc: $err" ;;
esac
# progress and statistics stay off stderr unless asked for (stderr is not a terminal here)
run match --threshold 0.7 --blocking lsh -o "$WORK/m_quiet.csv" "$FA" "$FB"
if [ "$rc" = 0 ] && [ -z "$err" ]; then ok "match: silent stderr when not a terminal"; else fail "match: silent stderr when not a terminal" "exit $rc: $err"; fi
# bad options: exit 2 naming the option
run match --threshold 0.7 --threads many "$FA" "$FB"
expect_fail "match --threads many: usage error" 2 "--threads"
run match --threshold 0.7 --top-k 0 "$FA" "$FB"
expect_fail "match --top-k 0: usage error" 2 "--top-k"
run match --threshold 0.7 --blocking canopy "$FA" "$FB"
expect_fail "match --blocking canopy: usage error" 2 "--blocking"
run match --threshold 0.7 --lsh-k 8 --lsh-tables 3 "$FA" "$FB"
expect_fail "match --lsh-k without --blocking lsh: usage error" 2 "--blocking lsh"
run match --threshold 0.7 --blocking lsh --lsh-k 8 "$FA" "$FB"
expect_fail "match --lsh-k without --lsh-tables: usage error" 2 "--lsh-tables"
run match --threshold 0.7 --blocking lsh --lsh-k 65 --lsh-tables 3 "$FA" "$FB"
expect_fail "match --lsh-k 65: usage error" 2 "--lsh-k"
run match --threshold 0.7 --blocking lsh --lsh-goal most "$FA" "$FB"
expect_fail "match --lsh-goal most: usage error" 2 "--lsh-goal"
run match --threshold 0.7 --blocking lsh --lsh-recall 1 "$FA" "$FB"
expect_fail "match --lsh-recall 1: usage error" 2 "--lsh-recall"
run match --threshold 0.7 --blocking lsh --lsh-seed -3 "$FA" "$FB"
expect_fail "match --lsh-seed -3: usage error" 2 "--lsh-seed"

# ---------------------------------------------------------------- C14: one huge block
# 300 identical filters against themselves: one LSH bucket, 300 x 300 = 90,000 pairs at Dice
# 1 (by hand). More than --max-pairs: status 1 naming the count, block and limit, no output.
f64=$(printf 'Z%.0s' $(seq 64) | base64 -w0)
{ printf '{"clks": ['; for i in $(seq 299); do printf '"%s", ' "$f64"; done; printf '"%s"]}\n' "$f64"; } >"$WORK/same.json"
run match --threshold 1.0 --solver none --blocking lsh --lsh-k 8 --lsh-tables 2 --max-pairs 89999 -o "$WORK/c14.csv" "$WORK/same.json" "$WORK/same.json"
expect_fail "C14 match: more pairs than --max-pairs" 1 "more than 89999 candidate pairs" "300 x 300 records" "finer blocking"
if [ -e "$WORK/c14.csv" ]; then fail "C14 match: no output after the limit error"; else ok "C14 match: no output after the limit error"; fi
run match --threshold 1.0 --solver none --blocking lsh --lsh-k 8 --lsh-tables 2 --max-pairs 90000 -o "$WORK/c14.csv" "$WORK/same.json" "$WORK/same.json"
if [ "$rc" = 0 ] && [ "$(wc -l <"$WORK/c14.csv")" = 90001 ]; then ok "C14 match: exactly --max-pairs pairs pass"; else fail "C14 match: --max-pairs 90000" "exit $rc; $err"; fi
run match --threshold 1.0 --max-pairs lots "$WORK/same.json" "$WORK/same.json"
expect_fail "match --max-pairs lots: usage error" 2 "--max-pairs"
# dedupe of 1,500 records of one block: 112,213 links by hand (tests/data/cases/C14)
C14=$DATA/cases/C14
run keygen --output "$WORK/c14.key"
run encode --format tznr --schema "$C14/schema_fs.json" --secret-file "$WORK/c14.key" --output "$WORK/c14.tznr" "$C14/records_1500.csv"
expect_ok "C14: encode the container"
run dedupe --max-links 112212 --output "$WORK/c14_clusters.csv" --links "$WORK/c14_links.csv" "$WORK/c14.tznr"
expect_fail "C14 dedupe: more links than --max-links" 1 "deduplication of 1500 records" "112213 of the 1124250 pairs" "limit of 112212 links"
if [ -e "$WORK/c14_clusters.csv" ] || [ -e "$WORK/c14_links.csv" ]; then fail "C14 dedupe: no output after the limit error"; else ok "C14 dedupe: no output after the limit error"; fi
run dedupe --max-links 112213 --output "$WORK/c14_clusters.csv" --links "$WORK/c14_links.csv" "$WORK/c14.tznr"
if [ "$rc" = 0 ] && [ "$(wc -l <"$WORK/c14_links.csv")" = 112214 ]; then ok "C14 dedupe: exactly --max-links links pass"; else fail "C14 dedupe: --max-links 112213" "exit $rc; $err"; fi
run dedupe --max-links -1 --output "$WORK/c14_x.csv" "$WORK/c14.tznr"
expect_fail "dedupe --max-links -1: usage error" 2 "--max-links"

# ------------------------------------------ an output may not be an input or another output
# (found by a fresh user: link -o F --report F lost the links; encode -o IN --force IN would
# replace the source CSV). Usage error, status 2, --force or not, and nothing is touched.
unchanged() { # NAME FILE SHA: FILE still has checksum SHA
    if [ "$(sha256sum <"$2")" = "$3" ]; then ok "$1: input untouched"; else fail "$1: input untouched"; fi
}
cp "$WORK/c14.tznr" "$WORK/clash.tznr"
sum_t=$(sha256sum <"$WORK/clash.tznr")
run dedupe --force --output "$WORK/clash.csv" --links "$WORK/clash.csv" "$WORK/clash.tznr"
expect_fail "dedupe --output F --links F: usage error" 2 "is both the output (--output) and the links file (--links)"
if [ -e "$WORK/clash.csv" ]; then fail "dedupe --output F --links F: nothing written"; else ok "dedupe --output F --links F: nothing written"; fi
run dedupe --force --output "$WORK/x.csv" --report "$WORK/../$(basename "$WORK")/clash.tznr" "$WORK/clash.tznr"
expect_fail "dedupe --report INPUT (other spelling): usage error" 2 "is both the report (--report) and the input A"
unchanged "dedupe --report INPUT" "$WORK/clash.tznr" "$sum_t"
run link --force -o "$WORK/same.csv" --report "$WORK/same.csv" "$WORK/clash.tznr" "$WORK/c14.tznr"
expect_fail "link -o F --report F: usage error" 2 "is both the output (--output) and the report (--report)"
cp "$C14/records_1500.csv" "$WORK/clash_in.csv"
sum_c=$(sha256sum <"$WORK/clash_in.csv")
run encode --force --schema "$C14/schema_fs.json" --secret-file "$WORK/c14.key" -o "$WORK/clash_in.csv" "$WORK/clash_in.csv"
expect_fail "encode -o INPUT --force: usage error" 2 "is both the output (--output) and the input CSV"
unchanged "encode -o INPUT --force" "$WORK/clash_in.csv" "$sum_c"
run encode --force --schema "$C14/schema_fs.json" --secret-file "$WORK/c14.key" -o "$WORK/c14.key" "$WORK/clash_in.csv"
expect_fail "encode -o SECRET --force: usage error" 2 "and the secret (--secret-file)"
sum_j=$(sha256sum <"$WORK/same.json")
run match --force --threshold 0.9 -o "$WORK/same.json" "$WORK/same.json" "$WORK/same.json"
expect_fail "match -o INPUT --force: usage error" 2 "is both the output (--output) and the input A"
unchanged "match -o INPUT --force" "$WORK/same.json" "$sum_j"
run audit --force --report "$WORK/same.json" "$WORK/same.json"
expect_fail "audit --report INPUT --force: usage error" 2 "is both the report (--report) and the input"
unchanged "audit --report INPUT --force" "$WORK/same.json" "$sum_j"
ln -s "$WORK/same.json" "$WORK/alias.json"
run match --force --threshold 0.9 -o "$WORK/alias.json" "$WORK/same.json" "$WORK/same.json"
expect_fail "match -o SYMLINK-TO-INPUT: usage error" 2 "is both the output (--output) and the input A"
unchanged "match -o SYMLINK-TO-INPUT" "$WORK/same.json" "$sum_j"

# dedupe writes its clusters to standard output without --output, like link its links
run dedupe --max-links 0 "$WORK/c14.tznr"
if [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1501 ] && [[ $out == "id,cluster_id"* ]]; then
    ok "dedupe without --output: clusters on standard output"
else
    fail "dedupe without --output" "exit $rc; $err"
fi
run dedupe --links - "$WORK/c14.tznr"
expect_fail "dedupe: two outputs on standard output: usage error" 2 "only one of --output, --report and --links"

# link of containers made with different schemas: the message names both files
C27=$DATA/cases/C27
run encode --format tznr --schema "$C27/schema.json" --secret-file "$WORK/c14.key" --output "$WORK/c27a.tznr" "$C27/file_a.csv"
expect_ok "C27: encode a container"
run link -o "$WORK/mixed.csv" "$WORK/c27a.tznr" "$WORK/c14.tznr"
expect_fail "link of containers of different schemas: names both files" 1 "different linkage schemas" "A = $WORK/c27a.tznr, B = $WORK/c14.tznr"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
