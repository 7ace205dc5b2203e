#!/usr/bin/env python3
"""Write the seed inputs of the fuzz harnesses into a directory (default fuzz/seeds, not
committed): copies of the test data that each parser reads, plus hand-made malformed inputs.
scripts/fuzz merges them with the committed corpus (fuzz/corpus/<harness>) before fuzzing.

Usage: fuzz/seeds.py [OUT_DIR]
"""
import base64
import glob
import hashlib
import json
import os
import random
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "seeds")


def put(harness, name, content):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(content)


def read(rel):
    with open(os.path.join(DATA, rel), "rb") as f:
        return f.read()


# ---- CSV ----------------------------------------------------------------------------------
for p in sorted(glob.glob(os.path.join(DATA, "**", "*.csv"), recursive=True)):
    put("csv", "data_" + os.path.relpath(p, DATA).replace("/", "_"), read(os.path.relpath(p, DATA)))
HDR = "id,firstName,lastName,dob,gender,postcode,city\n"
csv_cases = {
    "empty": "",
    "bom_only": "\ufeff",
    "header_only": HDR,
    "blank_lines": "\n\n" + HDR + "\n\r\n\ra01,Ana,Lopez,1990-01-02,F,75011,Paris\n\n",
    "crlf": HDR.replace("\n", "\r\n") + "a01,Ana,Lopez,1990-01-02,F,75011,Paris\r\n",
    "cr_only": HDR.replace("\n", "\r") + "a01,Ana,Lopez,1990-01-02,F,75011,Paris\r",
    "no_final_newline": HDR + "a01,Ana,Lopez,1990-01-02,F,75011,Paris",
    "quoted_newline": HDR + 'a01,"An\na","Lo,pez",1990-01-02,F,75011,"Pa""ris"\n',
    "quoted_crlf": HDR + 'a01,"An\r\na",Lopez,1990-01-02,F,75011,Paris\r\n',
    "unterminated_quote": HDR + 'a01,"Ana,Lopez,1990-01-02,F,75011,Paris\n',
    "quote_in_field": HDR + 'a01,An"a,Lopez,1990-01-02,F,75011,Paris\n',
    "text_after_quote": HDR + 'a01,"Ana"x,Lopez,1990-01-02,F,75011,Paris\n',
    "nul_byte": HDR + "a01,An\0a,Lopez,1990-01-02,F,75011,Paris\n",
    "short_row": HDR + "a01,Ana,Lopez\n",
    "long_row": HDR + "a01,Ana,Lopez,1990-01-02,F,75011,Paris,extra\n",
    "dup_column": "id,firstName,firstName,dob,gender,postcode,city\n",
    "missing_column": "id,firstName,lastName,dob,gender,postcode\n",
    "invalid_utf8": HDR.encode() + b"a01,An\xc3a,Lop\xff,1990-01-02,F,75011,Paris\n",
    "bad_date": HDR + "a01,Ana,Lopez,1990-02-30,F,75011,Paris\n",
    "all_empty": HDR + "a01,,,,,,\n",
    "bom_crlf_quoted": "\ufeff" + HDR.replace("\n", "\r\n") + '"a01","Ana","Lopez","1990-01-02","F","75011","Paris"\r\n',
    "many_fields": ",".join(["x"] * 4097) + "\n",
    "max_fields": ",".join(["x"] * 4096) + "\n",
    "only_commas": ",,,,\n,\n",
    "spaces": "  ,  \n \t, \n",
}
for name, text in csv_cases.items():
    put("csv", "hand_" + name, text)

# ---- linkage schemas ---------------------------------------------------------------------
for p in sorted(glob.glob(os.path.join(DATA, "**", "*.json"), recursive=True)):
    rel = os.path.relpath(p, DATA)
    if "schema" in rel or rel.startswith("cases/C05"):
        put("schema", "data_" + rel.replace("/", "_"), read(rel))
doc = open(os.path.join(ROOT, "docs", "schema.md"), encoding="utf-8").read() if os.path.exists(
    os.path.join(ROOT, "docs", "schema.md")) else ""
for i, block in enumerate(re.findall(r"```json\n(.*?)```", doc, re.S)):
    put("schema", "doc_%d" % i, block)


def schema(features, **cfg):
    clk = {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64}}
    clk.update(cfg)
    return json.dumps({"version": 3, "clkConfig": clk, "features": features})


def feat(name, fmt, cmp, strat=None, **more):
    h = {"comparison": cmp, "strategy": strat or {"bitsPerToken": 20}}
    h.update(more)
    return {"identifier": name, "format": fmt, "hashing": h}


S = {"type": "string", "encoding": "utf-8"}
schema_cases = {
    "numeric": [feat("n", {"type": "string"}, {"type": "numeric", "thresholdDistance": 2.5,
                 "resolution": 3, "fractional_precision": 1})],
    "numeric_big": [feat("n", {"type": "integer", "minimum": -5, "maximum": 5},
                         {"type": "numeric", "thresholdDistance": 1e9, "resolution": 100})],
    "date_formats": [feat("d%d" % i, {"type": "date", "format": f}, {"type": "ngram", "n": 1,
                     "positional": True}) for i, f in enumerate(
                         ["%Y-%m-%d", "%d/%m/%Y", "%y%m%d", "%d %b %Y", "%B %d, %Y %H:%M:%S", "%%%Y"])],
    "enum": [feat("e", {"type": "enum", "values": ["M", "F", ""]}, {"type": "exact"},
                  missingValue={"sentinel": "", "replaceWith": "U"})],
    "pattern": [feat("p", dict(S, pattern="[0-9]{5}|2[AB][0-9]{3}", minLength=1, maxLength=5,
                  case="upper"), {"type": "ngram", "n": 2}, {"bitsPerFeature": 200},
                  hash={"type": "doubleHash", "prevent_singularity": True})],
    "sentinels": [feat("s", S, {"type": "ngram", "n": 3}, {"bitsPerFeature": 100},
                       missingValue={"sentinels": ["", "N/A", "null"]})],
    "ascii_lower": [feat("a", {"type": "string", "encoding": "ascii", "case": "lower"},
                         {"type": "ngram", "n": 16})],
    "folds": [feat("x", S, {"type": "ngram", "n": 2})],
    "ignored_only": [{"identifier": "id", "ignored": True}],
}
for name, fs in schema_cases.items():
    extra = {"xor_folds": 3, "l": 512} if name == "folds" else {}
    put("schema", "hand_" + name, schema(fs, **extra))
bad_schemas = {
    "not_json": "{\"version\": 3,",
    "empty": "",
    "array": "[]",
    "dup_key": '{"version": 3, "version": 3, "features": []}',
    "no_features": '{"version": 3}',
    "l_huge": schema([feat("x", S, {"type": "ngram", "n": 2})], l=1 << 40),
    "blake_too_long": schema([feat("x", S, {"type": "ngram", "n": 2})], l=131072),
    "keysize": schema([feat("x", S, {"type": "ngram", "n": 2})],
                      kdf={"type": "HKDF", "hash": "SHA512", "keySize": 1024}),
    "bad_regex": schema([feat("x", dict(S, pattern="(["), {"type": "exact"})]),
    "bad_base64": schema([feat("x", S, {"type": "exact"})],
                         kdf={"type": "HKDF", "salt": "a b=", "info": "!!"}),
    "nested": "[" * 5000 + "]" * 5000,
    "unicode_escape": '{"features":[{"identifier":"\\ud800","ignored":true}]}',
    "nul_escape": '{"features":[{"identifier":"a\\u0000b","ignored":true}]}',
}
for name, text in bad_schemas.items():
    put("schema", "bad_" + name, text)

# ---- records (byte 0: schema index in fuzz_record.c's list; values split on 0xFF) -----------
SCHEMA_FILES = ["s1a", "s1b", "s2", "s2ns", "s3", "s4", "C01", "C02", "C04"]


def rec(idx, rows):
    return bytes([idx]) + b"\xff".join(
        v if isinstance(v, bytes) else v.encode("utf-8") for row in rows for v in row)


def csv_rows(rel):
    import csv
    with open(os.path.join(DATA, rel), encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1:]


people_a, people_b = csv_rows("vectors/input/people_a.csv"), csv_rows("vectors/input/people_b.csv")
numeric = csv_rows("vectors/input/numeric.csv")
put("record", "s1a_people", rec(0, people_a[:6]))
put("record", "s1b_people", rec(1, people_b[:6]))
put("record", "s2_people", rec(2, people_a[6:12]))
put("record", "s2ns_people", rec(3, people_a[12:]))
put("record", "s3_people", rec(4, people_a[:4]))
put("record", "s4_numeric", rec(5, numeric))
put("record", "c01", rec(6, csv_rows("cases/C01/records.csv")))
put("record", "c02", rec(7, csv_rows("cases/C02/records.csv")))
put("record", "c04", rec(8, csv_rows("cases/C04/records.csv")))
put("record", "hand_invalid_utf8", rec(0, [["x", b"\xc3", b"\xed\xa0\x80", b"1990-01-01", "F", "75011", b"\xf4\x90\x80\x80"]]))
put("record", "hand_dates", rec(0, [["x", "A", "B", d, "M", "75011", "C"] for d in
                                    ["2000-02-29", "1900-02-29", "0001-01-01", "9999-12-31", "99-1-1", " 2000-01-01"]]))
put("record", "hand_numbers", rec(5, [["x", a, h, b] for a, h, b in [
    ("9223372036854775807", "1e308", "-9223372036854775808"), ("-0", "0.005", "1_000"),
    ("+12", "nan", "inf"), ("1__0", ".5", "5."), ("", "", ""), (" 7 ", "1e-400", "-1.25")]]))
put("record", "hand_all_empty", rec(4, [[""] * 7]))
put("record", "hand_long", rec(6, [["x", "é" * 3000, "Z" * 5000]]))

# ---- CLK files ----------------------------------------------------------------------------
for p in sorted(glob.glob(os.path.join(DATA, "vectors", "clks", "*.json"))):
    put("clks", "data_" + os.path.basename(p), read(os.path.relpath(p, DATA)))
b64 = lambda n, seed=0: base64.b64encode(random.Random(seed).randbytes(n)).decode()
clk_cases = {
    "empty_array": '{"clks": []}',
    "one": '{"clks": ["%s"]}' % b64(8),
    "compact": '{"clks":["%s","%s"]}' % (b64(128, 1), b64(128, 2)),
    "not_object": '["%s"]' % b64(8),
    "no_clks": '{"clk": []}',
    "clks_not_array": '{"clks": "AAAAAAAAAAA="}',
    "not_string": '{"clks": [12]}',
    "bad_base64": '{"clks": ["AAAA*AAAAAA="]}',
    "no_padding": '{"clks": ["AAAAAAAAAAA"]}',
    "whitespace_b64": '{"clks": ["AAAA AAAAAA="]}',
    "len_not_8": '{"clks": ["%s"]}' % b64(9),
    "mixed_len": '{"clks": ["%s", "%s"]}' % (b64(16), b64(24)),
    "empty_string": '{"clks": [""]}',
    "extra_keys": '{"clks": ["%s"], "meta": {"a": [1, 2.5e300, null, true]}}' % b64(8),
    "dup_keys": '{"clks": [], "clks": []}',
    "escaped": '{"clks": ["\\u0041AAAAAAAAAA="]}',
    "truncated": '{"clks": ["%s", "' % b64(64),
    "trailing": '{"clks": []} x',
    "bom": "\ufeff{\"clks\": []}",
}
for name, text in clk_cases.items():
    put("clks", "hand_" + name, text)

# ---- dice (bytes 0-3: length, threshold, split, k; then filters) --------------------------
def filters(rel):
    return [base64.b64decode(s) for s in json.loads(read(rel))["clks"]]


a = filters("vectors/clks/s1_example.a.clks.json")
b = filters("vectors/clks/s1_example.b.clks.json")
n = len(a[0]) // 8 - 1   # 128 bytes -> selector 15
put("dice", "s1_t070", bytes([n, 70, 8, 3]) + b"".join(a[:8] + b[:8]))
put("dice", "s1_boundary", bytes([n, 150, 6, 5]) + b"".join(a[:6] + b[:6]))
put("dice", "s1_above", bytes([n, 220, 6, 14]) + b"".join(a[:6] + b[:6]))
r = random.Random(7)
put("dice", "small_ties", bytes([0, 50, 10, 22]) + bytes(r.choice([0, 1, 3, 0x80, 0xFF]) for _ in range(8 * 20)))
put("dice", "empty_filters", bytes([1, 0, 2, 4]) + bytes(16 * 4))
put("dice", "full_filters", bytes([2, 100, 3, 8]) + b"\xff" * (24 * 5))
put("dice", "odd_len", bytes([38, 30, 4, 7]) + r.randbytes(312 * 7))

# ---- container (byte 0: mode, even = as is, odd = SHA-256 trailer appended by the harness) -
for name in os.listdir(os.path.join(ROOT, "fuzz", "corpus", "container")):
    with open(os.path.join(ROOT, "fuzz", "corpus", "container", name), "rb") as f:
        put("container", "seed_" + name, f.read())
print("seeds written to", OUT)
