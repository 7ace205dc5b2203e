#!/usr/bin/env python3
"""Python binding benchmark: encoding N FEBRL-like records (FEBRL4 A and B rows, cleaned as
examples/febrl4/run.sh does, repeated to N rows; default 100,000) through the Python API and
through the `tznr encode` command on the same input, in the same run.

Measured, each the best of --repeat runs, interleaved:
  cli          tznr encode --schema S --secret-file K --output OUT.json IN.csv (a process:
               start-up, CSV parsing, encoding, JSON writing)
  csv          Encoder.encode_csv(IN.csv)                 (CSV parsed and encoded in C)
  csv+json     Encoder.encode_csv(IN.csv).to_json(OUT)   (the CLI's work, from Python)
  rows         Encoder.encode(list of lists)             (the batch API: pack + one call)
  dicts        Encoder.encode(list of dicts)             (the batch API from csv.DictReader)
  rows->numpy  Encoder.encode(list of lists, as_numpy=True)  (one array, no bytes objects)
Every output is checked to be byte-identical to the CLI's. Reading the CSV into Python
lists/dicts is timed separately (it is the caller's, not the binding's). Wall time decides;
CPU time (all threads; for the CLI, the child process) is printed too, as it is less
disturbed by other load on the machine.

Usage: python3 bench/bench_python.py [--rows N] [--repeat R] [--tznr PATH] [--profile]
Environment: TZNR_LIBRARY (as for the package), PYTHONPATH=bindings/python.
"""
import argparse
import cProfile
import csv
import io
import os
import pstats
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
import tznr  # noqa: E402

try:
    import numpy as np
except ImportError:
    np = None

SCHEMA = os.path.join(ROOT, "examples", "febrl4", "schema.json")


def clean(path):
    """run.sh's cleaning: tr -d '\\r' | sed -e 's/^ *//' -e 's/ *, */,/g' -e 's/ *$//'"""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().replace("\r", "").split("\n")
    return [re.sub(r" *, *", ",", ln.lstrip(" ")).rstrip(" ") for ln in lines if ln.strip()]


def make_input(path, n):
    a = clean(os.path.join(ROOT, "examples", "data", "dataset4a.csv"))
    b = clean(os.path.join(ROOT, "examples", "data", "dataset4b.csv"))
    header, rows = a[0], a[1:] + b[1:]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        for i in range(n):
            f.write(rows[i % len(rows)] + "\n")


def timed(fn):
    """(wall seconds, CPU seconds of this process and its children, result)"""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0 = time.process_time()
    t0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (time.process_time() - c0 + (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return wall, cpu, result


def main():
    ap = argparse.ArgumentParser(description="Python binding vs CLI encoding benchmark")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tznr", default=shutil.which("tznr") or os.path.join(
        ROOT, "build", "src", "tznr"), help="the tznr command (default: PATH, then build/)")
    ap.add_argument("--profile", action="store_true", help="profile the rows path")
    args = ap.parse_args()

    d = tempfile.mkdtemp(prefix="tznr-bench-py-")
    try:
        src = os.path.join(d, "in.csv")
        make_input(src, args.rows)
        key = os.path.join(d, "shared.key")
        tznr.generate_secret_file(key)
        schema = tznr.Schema.from_file(SCHEMA)
        enc = tznr.Encoder.from_secret_file(schema, key)

        t0 = time.perf_counter()
        with open(src, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))[1:]
        t_read_rows = time.perf_counter() - t0
        t0 = time.perf_counter()
        with open(src, encoding="utf-8", newline="") as f:
            dicts = list(csv.DictReader(f))
        t_read_dicts = time.perf_counter() - t0

        cli_out = os.path.join(d, "cli.json")
        py_out = os.path.join(d, "py.json")

        def run_cli():
            subprocess.run([args.tznr, "encode", "--schema", SCHEMA, "--secret-file", key,
                            "--output", cli_out, "--force", src], check=True)

        def run_csv_json():
            enc.encode_csv(src).to_json(py_out, force=True)

        paths = [("cli", run_cli), ("csv", lambda: enc.encode_csv(src)),
                 ("csv+json", run_csv_json), ("rows", lambda: enc.encode(rows)),
                 ("dicts", lambda: enc.encode(dicts))]
        if np is not None:
            paths.append(("rows->numpy", lambda: enc.encode(rows, as_numpy=True)))
        res = {}
        for _ in range(args.repeat):          # interleaved: each round runs every path once
            for name, fn in paths:
                t, cpu, out = timed(fn)
                if name not in res or t < res[name][0]:
                    res[name] = (t, out, cpu)

        want = list(tznr.ClkSet.from_json(cli_out))
        assert len(want) == args.rows
        assert list(res["csv"][1]) == want, "encode_csv differs from the CLI"
        assert list(tznr.ClkSet.from_json(py_out)) == want, "csv+json differs from the CLI"
        assert res["rows"][1] == want, "encode(rows) differs from the CLI"
        assert res["dicts"][1] == want, "encode(dicts) differs from the CLI"
        if np is not None:
            assert res["rows->numpy"][1].tobytes() == b"".join(want), "as_numpy differs"

        cli, cli_cpu = res["cli"][0], res["cli"][2]
        print(f"tznr Python binding benchmark: {args.rows} FEBRL4-like records "
              f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, best of {args.repeat}, "
              f"libtznr {tznr.library_version}, Python {sys.version.split()[0]}, numpy "
              f"{np.__version__ if np is not None else 'absent'})")
        print(f"  {'path':<12} {'wall s':>7} {'records/s':>10} {'x CLI':>6}   {'CPU s':>6} "
              f"{'x CLI':>6}")
        for name, _ in paths:
            t, _, cpu = res[name]
            print(f"  {name:<12} {t:7.3f} {args.rows / t:10.0f} {t / cli:6.2f}   {cpu:6.3f} "
                  f"{cpu / cli_cpu:6.2f}")
        print(f"  (reading the CSV into Python, not included above: lists {t_read_rows:.3f} s, "
              f"dicts {t_read_dicts:.3f} s)")
        print("  all outputs byte-identical to the CLI's")

        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            enc.encode(rows)
            prof.disable()
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(12)
            print(s.getvalue())
        enc.close()
        schema.close()
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
