"""Shared helpers of the Python binding tests.

Environment (set by `meson test`, see bindings/meson.build):
  TZNR_LIBRARY      the freshly built libtznr.so (read by the tznr package itself)
  TZNR_SOURCE_ROOT  the source tree (default: three levels above this file)
  TZNR_CLI          the freshly built `tznr` command (tests that need it are skipped without)
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("TZNR_SOURCE_ROOT") or os.path.normpath(
    os.path.join(HERE, "..", "..", ".."))
VECTORS = os.path.join(SOURCE_ROOT, "tests", "data", "vectors")
CASES = os.path.join(SOURCE_ROOT, "tests", "data", "cases")
EXAMPLES = os.path.join(SOURCE_ROOT, "examples")
CLI = os.environ.get("TZNR_CLI")

SCHEMAS = ["s1_example", "s2_doublehash", "s2ns_doublehash_nonsingular", "s3_mixed"]
SECRET_OF = {"s1_example": "secret_1.txt", "s2_doublehash": "secret_1.txt",
             "s2ns_doublehash_nonsingular": "secret_1.txt", "s3_mixed": "secret_2.txt",
             "s4_numeric": "secret_1.txt"}


def vec(*parts: str) -> str:
    return os.path.join(VECTORS, *parts)


def read_secret(schema_name: str) -> bytes:
    with open(vec("input", SECRET_OF[schema_name]), "rb") as f:
        return f.read()


def expected_clks(name: str) -> list:
    """The reference CLKs (clkhash 0.18.3 output) of vectors/clks/NAME.clks.json, as bytes."""
    with open(vec("clks", name + ".clks.json"), encoding="utf-8") as f:
        return [base64.b64decode(s) for s in json.load(f)["clks"]]


def load_json(*parts: str):
    with open(vec(*parts), encoding="utf-8") as f:
        return json.load(f)


def need_cli(test: unittest.TestCase) -> str:
    if not CLI or not os.path.exists(CLI):
        test.skipTest("TZNR_CLI is not set to the tznr command")
    return CLI


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=True)


def febrl_prepare(src: str, dst: str) -> None:
    """examples/febrl4/run.sh's cleaning, in Python: drop CR, leading spaces, spaces around
    commas and trailing spaces (tr -d '\\r' | sed -e 's/^ *//' -e 's/ *, */,/g' -e 's/ *$//')."""
    import re
    with open(src, encoding="utf-8", newline="") as f:
        text = f.read().replace("\r", "")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for line in lines:
        line = re.sub(r"^ *", "", line)
        line = re.sub(r" *, *", ",", line)
        line = re.sub(r" *$", "", line)
        out.append(line + "\n")
    with open(dst, "w", encoding="utf-8", newline="") as f:
        f.writelines(out)


class TempDirTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="tznr-py-")
        self.tmp = self._tmp.name

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def path(self, name: str) -> str:
        return os.path.join(self.tmp, name)


def python() -> str:
    return sys.executable
