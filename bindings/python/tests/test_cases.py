"""Cases from public bug reports (tests/data/cases) replayed through the Python binding.
Expected values are those written in each case's expected.txt."""
import copy
import csv
import json
import math
import os
import unittest

import tznr
from _support import CASES


def bits_to_bytes(bits: str) -> bytes:
    """A bit string, bit 0 leftmost (clkhash order: bit p is 0x80 >> (p % 8) of byte p // 8)."""
    assert len(bits) % 8 == 0
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def read_filters(path: str):
    out = []
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, bits = line.split("=")
                out.append((name, bits_to_bytes(bits)))
    return out


class TestC08EmptyFilters(unittest.TestCase):
    """C08 (anonlink #33): Dice of two empty filters is 0.0, never NaN; zero vs one bit is
    0.0; with a threshold > 0 neither pair is a candidate; all entry points agree."""

    def setUp(self):
        f = read_filters(os.path.join(CASES, "C08", "pairs.txt"))
        self.pairs = [(f[0][1], f[1][1]), (f[2][1], f[3][1])]
        self.assertEqual(len(self.pairs[0][0]), 128)

    def test_scalar(self):
        for a, b in self.pairs:
            d = tznr.dice(a, b)
            self.assertFalse(math.isnan(d))
            self.assertEqual(d, 0.0)
        self.assertEqual(tznr.popcount(self.pairs[1][1]), 1)

    def test_one_against_many(self):
        for a, b in self.pairs:
            self.assertEqual(tznr.topk(a, [b], 1, 0.0), [(0, 0.0)])
            self.assertEqual(tznr.topk(a, [b], 1, 0.5), [])

    def test_all_pairs(self):
        for a, b in self.pairs:
            self.assertEqual(tznr.match([a], [b], 0.0, solver="none", as_numpy=False),
                             [(0, 0, 0.0)])
            self.assertEqual(tznr.match([a], [b], 0.01, solver="none", as_numpy=False), [])
            self.assertEqual(tznr.match([a], [b], 0.5, as_numpy=False), [])


class TestC11TopkTies(unittest.TestCase):
    """C11 (anonlink PR #126): Q vs C0..C3, threshold 0.5: k=2 gives C0, C1 (0.75 each),
    ties broken by lowest index, every run and for the reversed input; k=4 gives C0..C3."""

    def setUp(self):
        f = dict(read_filters(os.path.join(CASES, "C11", "filters.txt")))
        self.q = f["Q"]
        self.c = [f["C0"], f["C1"], f["C2"], f["C3"]]

    def test_scores(self):
        self.assertEqual([tznr.dice(self.q, c) for c in self.c], [0.75, 0.75, 0.75, 0.625])

    def test_k2_repeated(self):
        for _ in range(100):
            self.assertEqual(tznr.topk(self.q, self.c, 2, 0.5), [(0, 0.75), (1, 0.75)])

    def test_reversed_input_keeps_indices(self):
        got = tznr.topk(self.q, self.c[::-1], 2, 0.5, ids=[3, 2, 1, 0])
        self.assertEqual(got, [(0, 0.75), (1, 0.75)])

    def test_k4(self):
        self.assertEqual(tznr.topk(self.q, self.c, 4, 0.5),
                         [(0, 0.75), (1, 0.75), (2, 0.75), (3, 0.625)])


class TestC12GlobalGreedy(unittest.TestCase):
    """C12 (anonlink #153): greedy in global score order, threshold 0.6: A1<->B0 (0.95) and
    A0<->B1 (0.70), A0<->B0 not linked; the same for the shuffled file."""

    def load(self, name):
        with open(os.path.join(CASES, "C12", name), encoding="ascii", newline="") as f:
            rows = list(csv.DictReader(f))
        return [(int(r["a_id"][1:]), int(r["b_id"][1:]), float(r["dice"])) for r in rows
                if float(r["dice"]) >= 0.6]

    def test_both_orders(self):
        for name in ("candidates.csv", "candidates_shuffled.csv"):
            with self.subTest(file=name):
                links = tznr.greedy_solve(self.load(name), as_numpy=False)
                self.assertEqual([(x.a_index, x.b_index, x.score) for x in links],
                                 [(1, 0, 0.95), (0, 1, 0.70)])


class TestC30BirthPlaceCodes(unittest.TestCase):
    """C30 (datagouv/decoupage-administratif #13): birth-place codes hashed as
    TYPE|CODE after the schema's history table (tznr extension ``derive``). The expected
    texts are written by hand: a derived CLK equals the CLK of that literal text under the
    same schema without ``derive`` (same feature positions, so the same keys)."""

    SECRET = "c30 python secret"
    TEXTS = ["pays_ou_territoire|98506", "commune|97606", "pays|99243", "commune|97606",
             "commune|97606"]

    def setUp(self):
        with open(os.path.join(CASES, "C30", "schema.json"), encoding="utf-8") as f:
            self.schema_json = json.load(f)
        self.records = os.path.join(CASES, "C30", "records.csv")
        with open(self.records, encoding="utf-8", newline="") as f:
            self.rows = list(csv.DictReader(f))

    def encoder(self, schema_json):
        return tznr.Encoder(tznr.Schema.from_json(schema_json), self.SECRET)

    def test_derived_text_is_hashed(self):
        clks = self.encoder(self.schema_json).encode_csv(self.records)
        plain = copy.deepcopy(self.schema_json)
        code = plain["features"][4]
        del code["derive"]
        del code["format"]["pattern"]
        enc = self.encoder(plain)
        for row, text, clk in zip(self.rows, self.TEXTS, clks):
            literal = dict(row, code_lieu_naissance=text)
            self.assertEqual(enc.encode_record(literal), clk, row["id"])

    def test_batch_memo_threads(self):
        enc = self.encoder(self.schema_json)
        ref = list(enc.encode_csv(self.records))
        for memo in ("all", "tokens", "off"):
            for threads in (1, 2):
                self.assertEqual(enc.encode(self.rows * 50, memo=memo, threads=threads),
                                 ref * 50)

    def test_field_filters(self):
        fields = {}
        for name in ("schema", "schema_no_history", "schema_retired"):
            with open(os.path.join(CASES, "C30", name + ".json"), encoding="utf-8") as f:
                c = self.encoder(json.load(f)).encode_csv_container(self.records)
            k = c.field_names.index("code_lieu_naissance")
            fields[name] = [c[r].fields[k] for r in range(len(c))]
        t = fields["schema"]
        self.assertLess(tznr.dice(t[0], t[1]), 1.0)     # L1-L2: not agreement
        self.assertLess(tznr.dice(t[0], t[2]), 1.0)     # L1-L3: not agreement
        self.assertEqual(t[3], t[4])                    # L4-L5: agreement with the table
        self.assertLess(tznr.dice(fields["schema_no_history"][3],
                                  fields["schema_no_history"][4]), 1.0)
        self.assertEqual(tznr.popcount(fields["schema_retired"][4]), 0)   # neutral

    def test_malformed_derive(self):
        bad = copy.deepcopy(self.schema_json)
        bad["features"][4]["derive"]["history"]["table"].append(
            {"type": "commune", "code": "97606", "to": "98506"})
        with self.assertRaises(tznr.SchemaError) as cm:
            tznr.Schema.from_json(bad)
        self.assertIn("features[4].derive.history.table[", str(cm.exception))
        self.assertIn("cycle", str(cm.exception))

if __name__ == "__main__":
    unittest.main()
