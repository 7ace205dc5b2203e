#!/usr/bin/env python3
"""The main job on FEBRL4 in Python (the same steps as examples/febrl4/run.sh):

  1. each data custodian prepares its CSV (FEBRL's ", " separators and padding removed);
  2. the custodians share a random secret, never given to the linkage unit;
  3. custodian A and custodian B encode their records into CLKs (clkhash JSON files);
  4. the linkage unit matches the two CLK files (Dice >= 0.8, greedy 1:1 links);
  5. the links are scored against the truth carried in rec_id (rec-N-org <-> rec-N-dup-0).

Usage: python3 examples/python/febrl4.py [--threshold T] [--secret-file KEY] [OUTPUT_DIR]

Needs the tznr package (pip install ./bindings/python, or PYTHONPATH=bindings/python) and
libtznr (TZNR_LIBRARY=build/src/libtznr.so in a build tree). See docs/python.md.
"""
import argparse
import csv
import os
import re
import sys
import tempfile
import time

import tznr

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
SCHEMA = os.path.join(HERE, "..", "febrl4", "schema.json")


def prepare(src: str, dst: str) -> None:
    """FEBRL separates fields with ", " and pads some values; dataset4a.csv has CRLF line
    ends. Cleaning is each custodian's preparation, not the library's."""
    with open(src, encoding="utf-8", newline="") as f, \
            open(dst, "w", encoding="utf-8", newline="") as out:
        for line in f:
            line = line.replace("\r", "").rstrip("\n")
            line = re.sub(r" *, *", ",", line.lstrip(" ")).rstrip(" ")
            out.write(line + "\n")


def rec_numbers(path: str) -> list:
    """The N of rec-N-org / rec-N-dup-0 for every data row: the truth."""
    with open(path, encoding="utf-8", newline="") as f:
        return [row["rec_id"].split("-")[1] for row in csv.DictReader(f)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threshold", type=float, default=0.8, help="minimum Dice score")
    ap.add_argument("--secret-file", help="use this key file instead of a new random one")
    ap.add_argument("output_dir", nargs="?", help="where to write the files (default: a "
                    "new temporary directory)")
    args = ap.parse_args()
    out = args.output_dir or tempfile.mkdtemp(prefix="tznr-febrl4-py.")
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)  # noqa: E731

    t0 = time.perf_counter()
    prepare(os.path.join(DATA, "dataset4a.csv"), p("a.csv"))
    prepare(os.path.join(DATA, "dataset4b.csv"), p("b.csv"))
    t1 = time.perf_counter()

    # Data custodians: the shared secret lives only in a key file (mode 0600).
    key = args.secret_file
    if key is None:
        key = p("shared.key")
        tznr.generate_secret_file(key, force=True)
    schema = tznr.Schema.from_file(SCHEMA)
    with tznr.Encoder.from_secret_file(schema, key) as enc:
        # Custodian A encodes its CSV file directly (the C reader)...
        enc.encode_csv(p("a.csv")).to_json(p("a.clks.json"), force=True)
        t2 = time.perf_counter()
        # ...custodian B from records already in Python (dicts keyed by column name).
        with open(p("b.csv"), encoding="utf-8", newline="") as f:
            records = list(csv.DictReader(f))
        tznr.ClkSet(enc.encode(records)).to_json(p("b.clks.json"), force=True)
        t3 = time.perf_counter()
    if args.secret_file is None:
        os.remove(key)   # the linkage unit below only ever sees the two CLK files

    # Linkage unit: no secret, only the encodings.
    a = tznr.ClkSet.from_json(p("a.clks.json"))
    b = tznr.ClkSet.from_json(p("b.clks.json"))
    links = tznr.match(a, b, args.threshold, as_numpy=False)
    tznr.write_links_csv(links, p("links.csv"), force=True)
    t4 = time.perf_counter()

    # Scoring against the truth (rows i of A and j of B are one person iff same rec number).
    ida, idb = rec_numbers(p("a.csv")), rec_numbers(p("b.csv"))
    truth = len(set(ida) & set(idb))
    tp = sum(1 for x in links if ida[x.a_index] == idb[x.b_index])
    n = len(links)
    prec = tp / n if n else 0.0
    rec = tp / truth if truth else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    print(f"records: A {len(ida)}, B {len(idb)}; true pairs: {truth}")
    print(f"links: {n} (true {tp}, false {n - tp}, missed {truth - tp})")
    print(f"precision {prec:.4f}  recall {rec:.4f}  F1 {f1:.4f}")
    print(f"wall time: prepare {t1 - t0:.3f} s, encode A {t2 - t1:.3f} s, "
          f"encode B {t3 - t2:.3f} s, match {t4 - t3:.3f} s")
    print(f"outputs in {out} (a.clks.json, b.clks.json, links.csv)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
