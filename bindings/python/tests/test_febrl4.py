"""The main job on FEBRL4 through Python gives the same CLKs and the same links as the
`tznr` command line on the same prepared files and the same (fixed) secret file; the
example examples/python/febrl4.py reports the figures computed here from the CLI's links."""
import csv
import os
import re
import subprocess
import sys
import unittest

import tznr
from _support import EXAMPLES, SOURCE_ROOT, TempDirTestCase, febrl_prepare, need_cli

SCHEMA = os.path.join(EXAMPLES, "febrl4", "schema.json")
SECRET = "tznr Python binding test: a fixed shared secret\n"


def read_links(path):
    with open(path, encoding="ascii", newline="") as f:
        r = csv.reader(f)
        assert next(r) == ["a_index", "b_index", "score"]
        return [(int(a), int(b), float(s)) for a, b, s in r]


class TestFebrl4(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._dir = tempfile.TemporaryDirectory(prefix="tznr-py-febrl4-")
        d = cls.d = cls._dir.name
        cls.a_csv, cls.b_csv = os.path.join(d, "a.csv"), os.path.join(d, "b.csv")
        febrl_prepare(os.path.join(EXAMPLES, "data", "dataset4a.csv"), cls.a_csv)
        febrl_prepare(os.path.join(EXAMPLES, "data", "dataset4b.csv"), cls.b_csv)
        cls.key = os.path.join(d, "shared.key")
        with open(cls.key, "w", encoding="utf-8") as f:
            f.write(SECRET)

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    def cli(self):
        cli = need_cli(self)
        out = {}
        for side, src in (("a", self.a_csv), ("b", self.b_csv)):
            out[side] = self.path(side + ".clks.json")
            subprocess.run([cli, "encode", "--schema", SCHEMA, "--secret-file", self.key,
                            "--output", out[side], src], check=True)
        out["links"] = self.path("links.csv")
        subprocess.run([cli, "match", "--threshold", "0.8", "--output", out["links"],
                        out["a"], out["b"]], check=True)
        return out

    def test_prepared_files(self):
        with open(self.a_csv, encoding="utf-8") as f:
            lines = f.read().split("\n")
        self.assertEqual(lines[0], "rec_id,given_name,surname,street_number,address_1,"
                                   "address_2,suburb,postcode,state,date_of_birth,soc_sec_id")
        self.assertEqual(len(lines), 5002)          # header, 5000 rows, final newline

    def test_same_clks_and_links_as_cli(self):
        ref = self.cli()
        schema = tznr.Schema.from_file(SCHEMA)
        with tznr.Encoder.from_secret_file(schema, self.key) as enc:
            a = enc.encode_csv(self.a_csv)
            with open(self.b_csv, encoding="utf-8", newline="") as f:
                b = tznr.ClkSet(enc.encode(csv.DictReader(f)))
            with open(self.a_csv, encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))[1:]
            self.assertEqual(enc.encode(rows), list(a))
        self.assertEqual(list(a), list(tznr.ClkSet.from_json(ref["a"])))
        self.assertEqual(list(b), list(tznr.ClkSet.from_json(ref["b"])))
        links = tznr.match(a, b, 0.8, as_numpy=False)
        cli_links = read_links(ref["links"])
        self.assertGreater(len(cli_links), 4000)
        self.assertEqual([tuple(x) for x in links], cli_links)
        # and the file written from Python is the CLI's, byte for byte
        mine = self.path("links-py.csv")
        tznr.write_links_csv(links, mine)
        with open(mine, "rb") as f1, open(ref["links"], "rb") as f2:
            self.assertEqual(f1.read(), f2.read())
        # JSON written from Python is read back by the CLI's reader and vice versa
        a.to_json(self.path("a-py.json"))
        self.assertEqual(list(tznr.ClkSet.from_json(self.path("a-py.json"))), list(a))

    def test_example_script(self):
        ref = self.cli()
        # expected figures, from the CLI's links and the rec_id truth
        def ids(path):
            with open(path, encoding="utf-8", newline="") as f:
                return [r["rec_id"].split("-")[1] for r in csv.DictReader(f)]
        ida, idb = ids(self.a_csv), ids(self.b_csv)
        links = read_links(ref["links"])
        tp = sum(ida[a] == idb[b] for a, b, _ in links)
        truth = len(set(ida) & set(idb))
        prec, rec = tp / len(links), tp / truth
        f1 = 2 * prec * rec / (prec + rec)
        env = dict(os.environ)
        r = subprocess.run([sys.executable, os.path.join(SOURCE_ROOT, "examples", "python",
                                                         "febrl4.py"),
                            "--secret-file", self.key, self.path("example")],
                           capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"records: A 5000, B 5000; true pairs: {truth}", r.stdout)
        self.assertIn(f"links: {len(links)} (true {tp}, false {len(links) - tp}, "
                      f"missed {truth - tp})", r.stdout)
        self.assertIn(f"precision {prec:.4f}  recall {rec:.4f}  F1 {f1:.4f}", r.stdout)
        self.assertTrue(re.search(r"wall time: prepare [0-9.]+ s", r.stdout))
        self.assertEqual(read_links(self.path("example/links.csv")), links)


if __name__ == "__main__":
    unittest.main()
