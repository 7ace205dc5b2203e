"""format.normalise (tznr extension, docs/schema.md section 2) through the Python binding:
cases C26 (accents in any Unicode form, ligatures) and C29 (compound names). Expected
groups are those written in each case's expected.txt."""
import csv
import os
import unittest
import unicodedata

import tznr
from _support import CASES


def schema(columns, encoded, normalise="name-fr"):
    feats = []
    for c in columns:
        if c == encoded:
            fmt = {"type": "string"}
            if normalise is not None:
                fmt["normalise"] = normalise
            feats.append({"identifier": c, "format": fmt,
                          "hashing": {"comparison": {"type": "ngram", "n": 2},
                                      "strategy": {"bitsPerToken": 20}}})
        else:
            feats.append({"identifier": c, "ignored": True})
    return tznr.Schema.from_json({"version": 3, "features": feats})


def rows(case, name):
    with open(os.path.join(CASES, case, name), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


SECRET = b"python normalise test secret"


class TestC26Accents(unittest.TestCase):
    """C26: every spelling of a group gives one CLK (HELENE, MUNOZ, OENONE, LAETITIA, JOAO,
    FRANCOISE); without normalise the same file does not."""

    def setUp(self):
        self.rows = rows("C26", "names.csv")
        self.assertEqual(len(self.rows), 15)
        # the file really holds an NFD spelling (combining acute and grave)
        self.assertTrue(any(unicodedata.normalize("NFC", r["given_name"]) != r["given_name"]
                            for r in self.rows))

    def clks_by_group(self, normalise):
        with schema(["group", "given_name"], "given_name", normalise) as s, \
                tznr.Encoder(s, SECRET) as e:
            clks = e.encode(self.rows)
        groups = {}
        for r, c in zip(self.rows, clks):
            groups.setdefault(r["group"], set()).add(c)
        return groups

    def test_one_clk_per_group(self):
        groups = self.clks_by_group("name-fr")
        self.assertEqual(sorted(groups), ["g1", "g2", "g3", "g4", "g5", "g6"])
        for g, clks in groups.items():
            self.assertEqual(len(clks), 1, g)
        self.assertEqual(len(set().union(*groups.values())), 6)

    def test_same_clk_as_the_expected_spelling(self):
        want = {"g1": "HELENE", "g2": "MUNOZ", "g3": "OENONE", "g4": "LAETITIA",
                "g5": "JOAO", "g6": "FRANCOISE"}
        with schema(["group", "given_name"], "given_name") as s, tznr.Encoder(s, SECRET) as e:
            for r in self.rows:
                self.assertEqual(e.encode_record(r),
                                 e.encode_record({"group": "", "given_name": want[r["group"]]}),
                                 r["given_name"])

    def test_without_normalise_spellings_differ(self):
        groups = self.clks_by_group(None)
        self.assertGreater(len(groups["g1"]), 1)

    def test_fingerprint_depends_on_normalise(self):
        cols = ["group", "given_name"]
        fps = {schema(cols, "given_name", n).fingerprint
               for n in (None, "name-fr", {"form": "NFC"}, {"case": "upper"})}
        self.assertEqual(len(fps), 4)


class TestC29CompoundNames(unittest.TestCase):
    """C29: hyphen, space, double space, en dash variants identical; MARTIN DUPONT ==
    MARTIN-DUPONT; vs DUPONT 0 < Dice < 1."""

    def test_compound_names(self):
        rs = rows("C29", "names.csv")
        cols = ["group", "prenom", "nom"]
        with schema(cols, "prenom") as s, tznr.Encoder(s, SECRET) as e:
            p = e.encode(rs)
        with schema(cols, "nom") as s, tznr.Encoder(s, SECRET) as e:
            n = e.encode(rs)
        self.assertEqual(len(set(p[0:4])), 1)
        self.assertEqual(len(set(p[4:7])), 1)
        self.assertEqual(n[7], n[8])
        d = tznr.dice(n[7], n[9])
        self.assertGreater(d, 0.0)
        self.assertLess(d, 1.0)

    def test_bad_option_is_a_schema_error(self):
        with self.assertRaises(tznr.SchemaError) as cm:
            schema(["nom"], "nom", {"form": "NFD"})
        self.assertIn("features[0].format.normalise.form: must be one of none, NFC, NFKC, "
                      "strip-accents", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
