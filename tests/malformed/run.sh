#!/usr/bin/env bash
# Malformed inputs to the tznr command (issue 3, docs/errors.md). Run by meson (suite
# 'malformed') with TZNR_CLI (the built tznr) and TZNR_TEST_DATA (tests/data).
#
# Every case runs tznr once on one faulty input (tests/malformed/inputs/, or generated here
# when large or when it is a state of the file system) and checks:
#   * the documented exit status (1 invalid data, 2 usage, 3 I/O) and no crash (status < 128);
#   * no sanitizer or valgrind report on stderr, and never the secret;
#   * a message on stderr naming the location (FILE:LINE:, FILE: JSON.path, FILE: clks[i],
#     or the option) and the rule broken;
#   * nothing on stdout, and the output directory exactly as before: no output file, no
#     temporary file, pre-existing files untouched.
# A few valid edge cases (header only, duplicate ids, CR line ends, empty CLK set) check the
# documented decisions. Prints one line per case, then "N passed, M failed".
# TZNR_WRAPPER (optional) is put before the command, e.g. "valgrind -q --error-exitcode=99".
# TZNR_SHARD=I/N (optional) runs only cases I, I+N, I+2N... (0 <= I < N), to run N in parallel.
set -u

CLI=${TZNR_CLI:?TZNR_CLI is not set}
DATA=${TZNR_TEST_DATA:?TZNR_TEST_DATA is not set}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IN=$HERE/inputs
V=$DATA/vectors
S1=$V/schemas/s1_example.a.json     # id,firstName,lastName,dob,gender,postcode,city
S3=$V/schemas/s3_mixed.a.json       # same columns; postcode an integer in [1000, 99999]
S4=$V/schemas/s4_numeric.json       # id,age,height,balance
K1=$V/input/secret_1.txt
GOOD=$V/input/people_a.csv
CLKA=$V/clks/s1_example.a.clks.json
CLKB=$V/clks/s1_example.b.clks.json
read -r -a WRAP <<<"${TZNR_WRAPPER:-}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tznr-malformed-XXXXXX")
OUT=$WORK/out      # the output directory of every case
GEN=$WORK/gen      # generated inputs
mkdir -p "$GEN"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

passed=0
failed=0
skipped=0
ok()   { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1: $2"; }
skip() { mine || return 0; skipped=$((skipped + 1)); echo "skip - $1: $2"; }

# mine: counts a case; true if this shard runs it
CASE_NO=0
mine() {
    CASE_NO=$((CASE_NO + 1))
    [ -z "${TZNR_SHARD:-}" ] || [ $(((CASE_NO - 1) % ${TZNR_SHARD#*/})) = "${TZNR_SHARD%/*}" ]
}

# fresh_out: empty output directory
fresh_out() {
    chmod -R u+w "$OUT" 2>/dev/null
    rm -rf "$OUT"
    mkdir -p "$OUT"
}
# state of the output directory: names, types and contents (temp files are dot files)
out_state() { (cd "$OUT" && find . -mindepth 1 -printf '%p %y\n' | sort && find . -type f -exec cksum {} + | sort); }

# case NAME STATUS ARGS...: runs tznr ARGS (stdin from $STDIN or /dev/null, stdout to
# $STDOUT_TO or a file) and checks the result; the strings of array `want` must be on stderr.
STDIN=/dev/null
STDOUT_TO=
PRE=()   # a command to run tznr under (ulimit, unshare)
want=()
case_() {
    local name=$1 status=$2
    shift 2
    if ! mine; then
        want=()
        STDIN=/dev/null
        STDOUT_TO=
        PRE=()
        return
    fi
    local before after rc
    before=$(out_state)
    if [ -n "$STDOUT_TO" ]; then
        "${PRE[@]}" "${WRAP[@]}" "$CLI" "$@" <"$STDIN" >"$STDOUT_TO" 2>"$WORK/stderr"
    else
        "${PRE[@]}" "${WRAP[@]}" "$CLI" "$@" <"$STDIN" >"$WORK/stdout" 2>"$WORK/stderr"
    fi
    rc=$?
    after=$(out_state)
    local err
    err=$(head -c 20000 "$WORK/stderr")
    STDIN=/dev/null
    STDOUT_TO=
    PRE=()
    if [ "$rc" -ge 128 ]; then
        fail "$name" "crashed (exit $rc, signal $((rc - 128))): $err"
    elif grep -Eq 'Sanitizer|runtime error:|Invalid (read|write|free)|uninitialised|definitely lost|ERROR SUMMARY: [1-9]' "$WORK/stderr"; then
        fail "$name" "sanitizer/valgrind report: $err"
    elif [ "$rc" != "$status" ]; then
        fail "$name" "exit $rc, expected $status; stderr: $err"
    elif grep -q "battery staple" "$WORK/stderr"; then
        fail "$name" "the secret appears in the message"
    elif [ -s "$WORK/stdout" ]; then
        fail "$name" "stdout not empty on failure"
    elif [ "$before" != "$after" ]; then
        fail "$name" "output directory changed: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
    else
        local s
        for s in "${want[@]}"; do
            case $err in
            *"$s"*) ;;
            *) fail "$name" "stderr lacks '$s': $err"; want=(); return ;;
            esac
        done
        ok "$name: exit $rc, $(printf '%s' "$err" | head -n 2 | tr '\n' ' ' | cut -c1-150)"
    fi
    want=()
    : >"$WORK/stdout"
}

# enc STATUS CSV LOCATION RULE [SCHEMA]: encode CSV (s1 schema by default) into $OUT; the
# message must contain "CSV_PATH LOCATION" (e.g. ":3:") and RULE
enc() {
    local status=$1 f=$2 loc=$3 rule=$4 schema=${5:-$S1}
    fresh_out
    want=("$f$loc" "$rule")
    case_ "encode ${f#"$IN"/}" "$status" encode --schema "$schema" --secret-file "$K1" \
        --output "$OUT/clks.json" "$f"
}
# sch STATUS SCHEMA LOCATION RULE: encode the good file with SCHEMA
sch() {
    local status=$1 f=$2 loc=$3 rule=$4
    fresh_out
    want=("$f$loc" "$rule")
    case_ "encode --schema ${f#"$IN"/}" "$status" encode --schema "$f" --secret-file "$K1" \
        --output "$OUT/clks.json" "$GOOD"
}
# key STATUS SECRET LOCATION RULE
key() {
    local status=$1 f=$2 loc=$3 rule=$4
    fresh_out
    want=("$f$loc" "$rule")
    case_ "encode --secret-file ${f#"$IN"/}" "$status" encode --schema "$S1" --secret-file "$f" \
        --output "$OUT/clks.json" "$GOOD"
}
# mat STATUS CLKFILE LOCATION RULE: match a good A file against CLKFILE
mat() {
    local status=$1 f=$2 loc=$3 rule=$4
    fresh_out
    want=("$f$loc" "$rule")
    case_ "match B=${f#"$IN"/}" "$status" match --threshold 0.7 --output "$OUT/links.csv" "$CLKA" "$f"
}

C=$IN/csv
echo "# encode: CSV structure"
enc 1 "$C/truncated_last_row.csv" ":4:" "expected 7 fields (as in the header), found 3"
enc 1 "$C/unterminated_quote.csv" ":3:" "quoted field not terminated"
enc 1 "$C/stray_quote.csv" ":2:" "malformed CSV"
enc 1 "$C/text_after_closing_quote.csv" ":3:" "malformed CSV"
enc 1 "$C/too_few_fields.csv" ":3:" "expected 7 fields (as in the header), found 6"
enc 1 "$C/too_many_fields.csv" ":2:" "expected 7 fields (as in the header), found 8"
enc 1 "$C/missing_column.csv" ":1:" "missing column(s) 'lastName'"
enc 1 "$C/duplicate_column.csv" ":1:" 'column "lastName" appears twice'
enc 1 "$C/extra_column.csv" ":1:" 'not in the schema "nir"'
enc 1 "$C/header_wrong_case.csv" ":1:" "missing column(s) 'id'"
enc 1 "$C/semicolon_separated.csv" ":1:" "the header does not match the schema"
enc 1 "$C/header_trailing_comma.csv" ":1:" 'not in the schema ""'
enc 1 "$C/empty.csv" ":" "the file is empty"
enc 1 "$C/bom_only.csv" ":" "the file is empty"
enc 1 "$C/blank_lines_only.csv" ":" "the file is empty"
enc 1 "$C/error_after_multiline_field.csv" ":4:" "column 'dob'"
enc 1 "$C/cr_line_ends_bad_row.csv" ":3:" "column 'gender'"
enc 1 "$C/crlf_bad_row.csv" ":4:" "column 'postcode'"
enc 1 "$C/many_bad_rows.csv" ":2:" "60 invalid rows"
want=("$C/many_bad_rows.csv:51:" "(further errors not listed)")
fresh_out
case_ "encode csv/many_bad_rows.csv lists the first 50 rows" 1 encode -s "$S1" -k "$K1" -o "$OUT/c.json" "$C/many_bad_rows.csv"
want=("<stdin>:3:" "column 'firstName': invalid UTF-8")
STDIN=$C/utf8_truncated_sequence.csv
fresh_out
case_ "encode - (stdin) csv/utf8_truncated_sequence.csv" 1 encode -s "$S1" -k "$K1" -o "$OUT/c.json" -

echo "# encode: encodings"
enc 1 "$C/utf8_overlong.csv" ":3:" "column 'firstName': invalid UTF-8"
enc 1 "$C/utf8_overlong_slash.csv" ":2:" "column 'firstName': invalid UTF-8"
enc 1 "$C/utf8_lone_continuation.csv" ":4:" "column 'firstName': invalid UTF-8"
enc 1 "$C/utf8_surrogate.csv" ":2:" "column 'lastName': invalid UTF-8"
enc 1 "$C/utf8_truncated_sequence.csv" ":3:" "column 'firstName': invalid UTF-8"
enc 1 "$C/utf8_beyond_u10ffff.csv" ":2:" "column 'firstName': invalid UTF-8"
enc 1 "$C/latin1.csv" ":2:" "column 'firstName': invalid UTF-8"
enc 1 "$C/latin1_ignored_column_only.csv" ":2:" "column 'city': invalid UTF-8"
enc 1 "$C/utf16le_bom.csv" ":1:" "NUL byte"
enc 1 "$C/utf16be_bom.csv" ":1:" "NUL byte"
enc 1 "$C/nul_byte.csv" ":3:" "NUL byte"

echo "# encode: values"
enc 1 "$C/all_empty_record.csv" ":3:" "every encoded field is empty"
enc 1 "$C/all_empty_record_quoted.csv" ":2:" "every encoded field is empty"
enc 1 "$C/date_february_30.csv" ":3:" "column 'dob': not a valid date"
enc 1 "$C/date_not_leap_year.csv" ":2:" "column 'dob': not a valid date"
enc 1 "$C/date_month_13.csv" ":2:" "column 'dob': not a valid date"
enc 1 "$C/date_zero_placeholder.csv" ":2:" "column 'dob': not a valid date"
enc 1 "$C/date_french_format.csv" ":2:" "column 'dob': not a valid date"
enc 1 "$C/derive_bad_date.csv" ":3:" "column 'date_naissance': not a valid date" "$DATA/cases/C30/schema.json"
enc 1 "$C/normalise_pattern_after.csv" ":3:" "column 'lastName': does not match pattern [A-Z]+( [A-Z]+)* (value \"LEFEVRE DUPONT 2\"), normalised from \"Lefèvre–Dupont 2\"" "$C/normalise_name_fr.schema.json"
enc 1 "$C/enum_outside_list.csv" ":3:" "column 'gender': not one of M, F, O"
enc 1 "$C/enum_lower_case.csv" ":2:" "column 'gender': not one of M, F, O"
enc 1 "$C/pattern_letter.csv" ":2:" "column 'postcode': does not match pattern"
enc 1 "$C/pattern_too_short.csv" ":2:" "column 'postcode': does not match pattern"
enc 1 "$C/string_over_max_length.csv" ":2:" "column 'firstName': longer than maxLength 30"
enc 1 "$C/integer_below_minimum.csv" ":2:" "column 'postcode': below minimum 1000" "$S3"
enc 1 "$C/integer_text.csv" ":3:" "column 'age': not an integer" "$S4"
enc 1 "$C/integer_overflow.csv" ":2:" "column 'age': integer out of range" "$S4"
enc 1 "$C/integer_fraction.csv" ":2:" "column 'age': not an integer" "$S4"
enc 1 "$C/number_decimal_comma.csv" ":2:" "column 'height': not a number" "$S4"
enc 1 "$C/number_nan.csv" ":2:" "column 'balance': not a number" "$S4"

echo "# encode: limits (generated inputs)"
H='id,firstName,lastName,dob,gender,postcode,city'
{ printf '%s\na01,' "$H"; head -c 1100000 /dev/zero | tr '\0' A; printf ',Martin,1987-03-14,F,75011,Paris\n'; } >"$GEN/huge_field.csv"
enc 1 "$GEN/huge_field.csv" ":2:" "field longer than 1 MiB"
{ printf '%s\na01,Eloise,"' "$H"; head -c 1100000 /dev/zero | tr '\0' 'B'; printf '",1987-03-14,F,75011,Paris\n'; } >"$GEN/huge_quoted_field.csv"
enc 1 "$GEN/huge_quoted_field.csv" ":2:" "field longer than 1 MiB"
{ printf '%s\n' "$H"; printf 'x,%.0s' $(seq 5000); printf 'x\n'; } >"$GEN/too_many_fields.csv"
enc 1 "$GEN/too_many_fields.csv" ":2:" "more than 4096 fields"
fresh_out
want=("$GEN/no_such_file.csv" "cannot open")
case_ "encode a missing input file" 3 encode -s "$S1" -k "$K1" -o "$OUT/c.json" "$GEN/no_such_file.csv"
mkdir -p "$GEN/a_directory.csv"
enc 3 "$GEN/a_directory.csv" ":" "Is a directory"

echo "# encode: linkage schema"
D=$IN/schema
sch 1 "$D/not_json.json" ": linkage schema: JSON syntax error at line 1," "'[' or '{' expected"
sch 1 "$D/truncated.json" ": linkage schema: JSON syntax error at line 21," "end of file"
sch 1 "$D/empty.json" ": linkage schema: JSON syntax error at line 1," "end of file"
sch 1 "$D/top_level_array.json" ": (top level)" "expected a JSON object"
sch 1 "$D/wrong_type_l_string.json" ": clkConfig.l" 'must be a positive multiple of 64 (got "1024")'
sch 1 "$D/wrong_type_features_object.json" ": features" "expected a non-empty array"
sch 1 "$D/wrong_type_bits_boolean.json" ": features[1].hashing.strategy.bitsPerFeature" "positive integer"
sch 1 "$D/wrong_type_comparison_string.json" ": features[1].hashing.comparison" "object"
sch 1 "$D/unknown_key_top.json" ": clkConfig.hash" "unknown key"
sch 1 "$D/unknown_key_misspelt.json" ": features[2].hashing.strategy.bitsPerFeatur" "unknown key"
sch 1 "$D/bad_base64_salt.json" ": clkConfig.kdf.salt" "not valid base64"
sch 1 "$D/bad_base64_info_padding.json" ": clkConfig.kdf.info" "not valid base64"
sch 1 "$D/huge_real.json" ": linkage schema: JSON syntax error at line 4," "real number overflow"
sch 1 "$D/huge_integer.json" ": linkage schema: JSON syntax error at line 4," "too big integer"
sch 1 "$D/huge_filter_length.json" ": clkConfig.l" "at most 1048576"
sch 1 "$D/huge_bits_per_feature.json" ": features[1].hashing.strategy.bitsPerFeature" "at most 100000"
sch 1 "$D/negative_bits_per_token.json" ": features[1].hashing.strategy.bitsPerToken" "positive integer"
sch 1 "$D/duplicate_identifier.json" ": features[2].identifier" 'duplicate identifier "firstName"'
sch 1 "$D/duplicate_json_key.json" ": linkage schema: JSON syntax error at line 5," "duplicate object key"
sch 1 "$D/deep_nesting.json" ": linkage schema: JSON syntax error at line 1," "maximum parsing depth"
sch 1 "$D/features_not_objects.json" ": features[0]" "object"
sch 1 "$D/version_2.json" ": version" "must be 3"
sch 1 "$D/utf8_bom.json" ": linkage schema: JSON syntax error at line 1," "expected"
sch 1 "$D/invalid_utf8_string.json" ": linkage schema: JSON syntax error at line " "unable to decode byte 0xe9"
sch 1 "$D/nul_escape_identifier.json" ": linkage schema: JSON syntax error at line " "\\u0000"
sch 1 "$D/bad_regex.json" ": features[5].format.pattern" "invalid regular expression"
sch 1 "$D/bad_date_format.json" ": features[3].format.format" "unsupported directive %Q"
sch 1 "$D/empty_enum.json" ": features[4].format.values" "non-empty array"
sch 1 "$D/no_features.json" ": features" "non-empty array"
sch 1 "$D/missing_hashing.json" ": features[1]" "hashing"
sch 1 "$D/group_single_member.json" ": features[1].linkage.group" 'linkage group "names" has only this member'
sch 1 "$D/group_levels_differ.json" ": features[2].linkage.levels" "must be the same as in features[1], the first member"
sch 1 "$D/group_hashing_differ.json" ": features[2].hashing.strategy" "must be the same as in features[1]"
sch 1 "$D/group_format_differ.json" ": features[3].format" "must be the same as in features[1]"
sch 1 "$D/group_name_is_feature.json" ": features[1].linkage.group" 'group name "city" is the identifier of features[6]'
sch 1 "$D/group_not_string.json" ": features[1].linkage.group" "expected a string (got an array)"
# tznr extension features[i].derive (case C30, docs/schema.md)
sch 1 "$D/derive_qualifier_unknown.json" ": features[5].derive.qualifier" 'must name one of the features (got "country")'
sch 1 "$D/derive_date_column_unknown.json" ": features[5].derive.history.dateColumn" 'must name one of the features (got "birth")'
sch 1 "$D/derive_bad_until_date.json" ": features[5].derive.history.table[0].until" 'must be a calendar date YYYY-MM-DD (got "2011-02-30")'
sch 1 "$D/derive_overlapping_entries.json" ": features[5].derive.history.table[1]" "contradictory entry"
sch 1 "$D/derive_cycle.json" ": features[5].derive.history.table[" "the mappings form a cycle"
# format.normalise (tznr extension, docs/schema.md §2)
sch 1 "$D/normalise_unknown_preset.json" ": features[1].format.normalise" 'unknown preset (known: name-fr; or give an object with form, case, separators, trim) (got "name-french")'
sch 1 "$D/normalise_unknown_option.json" ": features[2].format.normalise.accents" "unknown key (allowed here: form, case, separators, trim)"
sch 1 "$D/normalise_wrong_type.json" ": features[1].format.normalise.trim" 'expected a boolean (true or false) (got "yes")'
sch 1 "$D/normalise_bad_form.json" ": features[2].format.normalise.form" 'must be one of none, NFC, NFKC, strip-accents (got "nfd")'
sch 1 "$D/normalise_on_date.json" ": features[3].format.normalise" "unknown key (allowed here: type, description, format)"
sch 1 "$D/normalise_enum_not_normalised.json" ": features[4].format.values[0]" '"M" is not in normalised form (format.normalise makes it "m")'
truncate -s $((16 * 1024 * 1024 + 1)) "$GEN/schema_over_16MiB.json"
sch 1 "$GEN/schema_over_16MiB.json" ": file is larger than the limit of 16777216 bytes" "limit"
sch 3 "$GEN/no_such_schema.json" ": cannot open" "No such file"

echo "# encode: secret file"
K=$IN/secret
key 1 "$K/empty.key" ": the secret file is empty" "empty"
key 1 "$K/newline_only.key" ": the secret file is empty" "empty"
key 1 "$K/crlf_only.key" ": the secret file is empty" "empty"
key 1 "$K/invalid_utf8.key" ": the secret is not valid UTF-8 (byte offset 14)" "UTF-8"
key 1 "$K/latin1.key" ": the secret is not valid UTF-8 (byte offset 2)" "UTF-8"
key 1 "$K/nul_byte.key" ": the secret contains a NUL byte" "NUL"
head -c 70000 /dev/zero | tr '\0' 's' >"$GEN/secret_over_64KiB.key"
key 1 "$GEN/secret_over_64KiB.key" ": file is larger than the limit of 65536 bytes" "limit"
key 3 "$GEN/no_such_secret.key" ": cannot open" "No such file"
mkdir -p "$GEN/secret_dir.key"
key 3 "$GEN/secret_dir.key" ": cannot read" "Is a directory"

echo "# match: CLK files"
M=$IN/clk
mat 1 "$M/truncated.json" ": JSON syntax error at line " "premature end of input"
mat 1 "$M/empty_file.json" ": JSON syntax error at line 1," "end of file"
mat 1 "$M/not_base64.json" ": clks[1]" "not valid base64"
mat 1 "$M/base64_bad_padding.json" ": clks[1]" "not valid base64"
mat 1 "$M/base64_url_alphabet.json" ": clks[0]" "not valid base64"
mat 1 "$M/unequal_lengths.json" ": clks[2]" "a filter of 64 bytes, but clks[0] has 128"
mat 1 "$M/not_multiple_of_8_bytes.json" ": clks[0]" "multiple of 8 bytes"
mat 1 "$M/empty_string.json" ": clks[1]" "not valid base64"
mat 1 "$M/top_level_array.json" ": the top level is not a JSON object" "object"
mat 1 "$M/clks_not_array.json" ': "clks" is not an array' "array"
mat 1 "$M/no_clks_key.json" ': no "clks" key' "clks"
mat 1 "$M/wrong_type_element.json" ": clks[1]" "clks[1]"
mat 1 "$M/null_element.json" ": clks[2]" "clks[2]"
mat 1 "$M/other_filter_length.json" " has 512-bit filters" "$CLKA has 1024-bit filters"
mat 1 "$M/invalid_utf8.json" ": JSON syntax error at line 1," "unable to decode byte 0xe9"
mat 1 "$M/trailing_garbage.json" ": JSON syntax error at line 2," "end of file expected"
head -c 200000 /dev/zero | base64 -w 0 | { printf '{"clks": ["'; cat; printf '"]}\n'; } >"$GEN/huge_filter.json"
mat 1 "$GEN/huge_filter.json" ": clks[0]" "a filter of 200000 bytes"
truncate -s $((4 * 1024 * 1024 * 1024 + 1)) "$GEN/clks_over_4GiB.json"
mat 1 "$GEN/clks_over_4GiB.json" ": file is larger than the limit of 4294967296 bytes" "limit"
mat 3 "$GEN/no_such_clks.json" ": cannot open" "No such file"

echo "# match: threshold (usage errors)"
for t in nan -0.5 1.5 "" text 0,7; do
    fresh_out
    want=("--threshold '$t'" "is not a number in [0, 1]")
    case_ "match --threshold '$t'" 2 match --threshold "$t" --output "$OUT/links.csv" "$CLKA" "$CLKB"
done

echo "# outputs"
fresh_out
echo "precious" >"$OUT/clks.json"
want=("$OUT/clks.json: exists (use --force to overwrite)")
case_ "encode: existing output without --force" 3 encode -s "$S1" -k "$K1" -o "$OUT/clks.json" "$GOOD"
fresh_out
echo "precious" >"$OUT/links.csv"
want=("$OUT/links.csv: exists (use --force to overwrite)")
case_ "match: existing output without --force" 3 match -t 0.7 -o "$OUT/links.csv" "$CLKA" "$CLKB"
fresh_out
want=("$OUT/missing/clks.json" "No such file or directory")
case_ "encode: output in a missing directory" 3 encode -s "$S1" -k "$K1" -o "$OUT/missing/clks.json" "$GOOD"
fresh_out
mkdir "$OUT/dir.json"
want=("$OUT/dir.json" "Is a directory")
case_ "encode: output is a directory (--force)" 3 encode -s "$S1" -k "$K1" --force -o "$OUT/dir.json" "$GOOD"
fresh_out
want=("$OUT/sub/" "Is a directory")
mkdir "$OUT/sub"
case_ "match: output path ending in / (--force)" 3 match -t 0.7 -f -o "$OUT/sub/" "$CLKA" "$CLKB"
fresh_out
mkfifo "$OUT/fifo.json"
want=("$OUT/fifo.json" "not a regular file")
case_ "encode: output is a FIFO (--force): never replaced" 3 encode -s "$S1" -k "$K1" -f -o "$OUT/fifo.json" "$GOOD"
fresh_out
echo "precious" >"$OUT/target.json"
ln -s target.json "$OUT/link.json"
want=("$OUT/link.json" "not a regular file")
case_ "encode: output is a symbolic link (--force): neither replaced" 3 encode -s "$S1" -k "$K1" -f -o "$OUT/link.json" "$GOOD"
fresh_out
want=("$OUT/clks.json" "write error")
PRE=(bash -c 'ulimit -f 1; trap "" XFSZ; exec "$@"' sh)
case_ "encode: output over the file-size limit (ulimit -f 1): no partial file" 3 encode -s "$S1" -k "$K1" -o "$OUT/clks.json" "$GOOD"
fresh_out
want=("$OUT/links.csv" "write")
PRE=(bash -c 'ulimit -f 1; trap "" XFSZ; exec "$@"' sh)
case_ "match: output over the file-size limit (ulimit -f 1): no partial file" 3 match -t 0 --solver none -o "$OUT/links.csv" "$CLKA" "$CLKB"
if [ -w /dev/full ] && [ -c /dev/full ]; then
    fresh_out
    want=("<stdout>: write error")
    STDOUT_TO=/dev/full
    case_ "encode: standard output on a full device" 3 encode -s "$S1" -k "$K1" "$GOOD"
else
    skip "encode: standard output on a full device" "no /dev/full"
fi
# an unwritable directory: permissions do not stop root, so as root the directory is made
# read-only with a bind mount in a private mount namespace (unshare), or the case is skipped
fresh_out
mkdir "$OUT/ro"
want=("$OUT/ro/clks.json" "cannot create a temporary file next to it")
if [ "$(id -u)" != 0 ]; then
    chmod a-w "$OUT/ro"
    case_ "encode: output in a read-only directory" 3 encode -s "$S1" -k "$K1" -o "$OUT/ro/clks.json" "$GOOD"
elif unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1"' sh "$OUT/ro" 2>/dev/null; then
    PRE=(unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"' sh "$OUT/ro")
    case_ "encode: output in a read-only directory (read-only bind mount)" 3 encode -s "$S1" -k "$K1" -o "$OUT/ro/clks.json" "$GOOD"
else
    want=()
    skip "encode: output in a read-only directory" "running as root without mount namespaces"
fi

echo "# valid edge cases (documented decisions, exit 0)"
# valid NAME ARGS...: exit 0 and no message
valid() {
    local name=$1
    shift
    "${WRAP[@]}" "$CLI" "$@" <"$STDIN" >"$WORK/stdout" 2>"$WORK/stderr"
    local rc=$?
    STDIN=/dev/null
    if [ "$rc" != 0 ] || grep -Eq 'Sanitizer|runtime error:|ERROR SUMMARY: [1-9]' "$WORK/stderr"; then
        fail "$name" "exit $rc: $(head -c 2000 "$WORK/stderr")"
        return 1
    fi
    return 0
}
fresh_out
if mine && valid "header only" encode -s "$S1" -k "$K1" -o "$OUT/h.json" "$C/header_only.csv"; then
    got=$(tr -d ' \n' <"$OUT/h.json")
    if [ "$got" = '{"clks":[]}' ]; then ok "encode csv/header_only.csv: zero records give an empty CLK list (exit 0)"
    else fail "encode csv/header_only.csv" "output $got"; fi
fi
fresh_out
if mine && valid "duplicate ids" encode -s "$S1" -k "$K1" -o "$OUT/d.json" "$C/duplicate_ids.csv"; then
    # rows 1 and 2 are the same record, row 3 another record with the same id: 3 CLKs in row
    # order, the first two equal (the id column is not encoded: rows are identified by index)
    mapfile -t clks < <(grep -o '"[A-Za-z0-9+/=]\{20,\}"' "$OUT/d.json")
    if [ "${#clks[@]}" = 3 ] && [ "${clks[0]}" = "${clks[1]}" ] && [ "${clks[0]}" != "${clks[2]}" ]; then
        ok "encode csv/duplicate_ids.csv: duplicate ids are data, one CLK per row (exit 0)"
    else
        fail "encode csv/duplicate_ids.csv" "expected 3 CLKs, the first two equal: ${clks[*]}"
    fi
fi
fresh_out
if mine && valid "CR line ends" encode -s "$S1" -k "$K1" -o "$OUT/cr.json" "$C/cr_line_ends.csv" &&
   valid "LF line ends" encode -s "$S1" -k "$K1" -o "$OUT/lf.json" "$C/lf_line_ends.csv"; then
    if cmp -s "$OUT/cr.json" "$OUT/lf.json" && [ "$(grep -c '"[A-Za-z0-9+/=]\{20,\}"' "$OUT/lf.json")" = 2 ]; then
        ok "encode csv/cr_line_ends.csv: CR-only line ends read as LF (same 2 CLKs)"
    else
        fail "encode csv/cr_line_ends.csv" "CLKs differ from the LF file"
    fi
fi
fresh_out
if mine && valid "empty CLK set" match -t 0.7 -o "$OUT/l.csv" "$CLKA" "$M/empty_array.json"; then
    if [ "$(cat "$OUT/l.csv")" = "a_index,b_index,score" ]; then
        ok "match B=clk/empty_array.json: an empty set gives no links (header only, exit 0)"
    else
        fail "match B=clk/empty_array.json" "output: $(cat "$OUT/l.csv")"
    fi
fi

if [ "$skipped" != 0 ]; then echo "# $skipped skipped"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
