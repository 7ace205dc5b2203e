"""tznr.audit(): the privacy audit through the bindings, on hand-made filters whose measures
are computed by hand (see tests/test_audit.c for the same derivations), and errors."""
import json
import math
import os
import tempfile
import unittest

import tznr

# 64-bit filters, clkhash bit order (position p = bit 0x80 >> p%8 of byte p/8):
# F0 = F1 = positions 0-7 (popcount 8), F2 = positions 0, 63 (2), F3 = 0-3, 12-15 (8).
F = [bytes([0xFF, 0, 0, 0, 0, 0, 0, 0]), bytes([0xFF, 0, 0, 0, 0, 0, 0, 0]),
     bytes([0x80, 0, 0, 0, 0, 0, 0, 0x01]), bytes([0xF0, 0x0F, 0, 0, 0, 0, 0, 0])]

SCHEMA = {
    "version": 3, "clkConfig": {"l": 128}, "linkage": {"idColumn": "id"},
    "features": [
        {"identifier": "id", "ignored": True},
        {"identifier": "sex", "format": {"type": "string"},
         "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 10}}},
        {"identifier": "name", "format": {"type": "string"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 10}}},
    ]}


def filt(v: int) -> bytes:
    return bytes([v >> 8, v & 0xFF]) + bytes(14)


class AuditTest(unittest.TestCase):
    def test_clkset_by_hand(self):
        with tznr.ClkSet(F, filter_bits=64) as s:
            a = tznr.audit(s)
        st = a.stats
        # popcounts 8, 8, 2, 8: mean 6.5, population variance 27/4
        self.assertEqual((st["records"], st["filter_bits"]), (4, 64))
        self.assertEqual((st["popcount_min"], st["popcount_max"]), (2, 8))
        self.assertAlmostEqual(st["popcount_mean"], 6.5)
        self.assertAlmostEqual(st["popcount_sd"], math.sqrt(6.75))
        # 51 positions never set, position 0 always set; mean share 26/256
        self.assertEqual((st["bits_never_set"], st["bits_always_set"]), (51, 1))
        self.assertAlmostEqual(st["bitfreq_mean"], 26 / 256)
        # {F0, F1}, {F2}, {F3}
        self.assertEqual((st["distinct"], st["shared_2"], st["shared_5"], st["largest_class"]),
                         (3, 2, 0, 2))
        self.assertEqual(a.class_sizes, [(1, 2), (2, 1)])
        self.assertEqual(a.fields, [])
        a.close()

    def test_container_fields_and_report(self):
        schema = tznr.Schema.from_json(json.dumps(SCHEMA))
        c = tznr.Container(schema)
        # sex: 7 x filter 1, 3 x filter 2; name: 9 distinct and one empty (missing)
        for r in range(10):
            c.append(f"r{r}", [filt(1 if r < 7 else 2), filt(r + 1 if r < 9 else 0)],
                     filt(r + 1))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.tznr")
            rep = os.path.join(d, "report.json")
            c.write(path)
            a = tznr.audit(path, rep)
            with open(rep) as f:
                report = json.load(f)
            with self.assertRaises(tznr.TznrFileExistsError):
                a.write_json(rep)
        sex, name = a.fields
        self.assertEqual(sex["name"], "sex")
        self.assertEqual((sex["distinct"], sex["empty"], sex["top_counts"]), (2, 0, [7, 3]))
        self.assertAlmostEqual(sex["top_share"], 0.7)
        self.assertAlmostEqual(sex["normalised_entropy"],
                               -(0.7 * math.log2(0.7) + 0.3 * math.log2(0.3)))
        self.assertTrue(sex["exposed"])              # 2 <= 100 distinct filters
        self.assertEqual((name["distinct"], name["empty"]), (9, 1))
        self.assertAlmostEqual(name["normalised_entropy"], 1.0)
        self.assertEqual(report["kind"], "container")
        self.assertEqual(report["records"], 10)
        self.assertEqual(report["fields"][0]["top_counts"], [7, 3])
        self.assertTrue(report["fields"][0]["exposed"])
        self.assertEqual(report["duplicates"]["distinct"], 10)
        # the audit of the in-memory container agrees
        self.assertEqual(tznr.audit(c).fields, a.fields)

    def test_errors(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.json")
            with open(bad, "w") as f:
                f.write("not json")
            with self.assertRaises(tznr.FormatError) as cm:
                tznr.audit(bad, os.path.join(d, "r.json"))
            self.assertIn("bad.json", str(cm.exception))
            self.assertFalse(os.path.exists(os.path.join(d, "r.json")))
            empty = os.path.join(d, "empty.json")
            with open(empty, "w") as f:
                f.write('{"clks": []}')
            with self.assertRaises(tznr.FormatError) as cm:
                tznr.audit(empty)
            self.assertIn("no encodings", str(cm.exception))
        with self.assertRaises(TypeError):
            tznr.Audit()


if __name__ == "__main__":
    unittest.main()
