"""The clkhash 0.18.3 / anonlink 0.15.3 reference vectors (tests/data/vectors) through
Python, byte for byte: every entry point of the encoder, and the matcher at 0.7."""
import csv
import unittest

import tznr
from _support import (SCHEMAS, TempDirTestCase, expected_clks, load_json, read_secret, vec)


def read_rows(name: str):
    with open(vec("input", name), encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, [row for row in r]


class TestEncodeVectors(TempDirTestCase):
    def check_all_paths(self, schema_file: str, secret: bytes, csv_name: str, clks_name: str):
        want = expected_clks(clks_name)
        header, rows = read_rows(csv_name)
        schema = tznr.Schema.from_file(vec("schemas", schema_file))
        self.assertEqual(list(schema.feature_names), header)
        with tznr.Encoder(schema, secret) as enc:
            # the C CSV reader
            got_csv = enc.encode_csv(vec("input", csv_name))
            self.assertEqual(len(got_csv), len(want))
            self.assertEqual(list(got_csv), want)
            # the batch API with rows as sequences in schema order
            self.assertEqual(enc.encode(rows), want)
            # ... as tuples from a generator
            self.assertEqual(enc.encode(tuple(r) for r in rows), want)
            # ... as dicts keyed by feature name
            self.assertEqual(enc.encode(dict(zip(header, r)) for r in rows), want)
            # the single-record call
            self.assertEqual([enc.encode_record(r) for r in rows], want)
            # a secret given as str (UTF-8, like clkhash)
        with tznr.Encoder(schema, secret.decode("utf-8")) as enc2:
            self.assertEqual(enc2.encode(rows), want)
        # the secret read from a key file by the library
        with tznr.Encoder.from_secret_file(schema, self._secret_file(secret)) as enc3:
            self.assertEqual(enc3.encode(rows), want)
        # clkhash's JSON and base64 forms round-trip
        ref = load_json("clks", clks_name + ".clks.json")["clks"]
        self.assertEqual(got_csv.to_base64(), ref)
        self.assertEqual(got_csv.to_dict(), {"clks": ref})
        out = self.path(clks_name + ".json")
        got_csv.to_json(out)
        self.assertEqual(list(tznr.ClkSet.from_json(out)), want)
        self.assertEqual(list(tznr.ClkSet.from_base64(ref)), want)

    def _secret_file(self, secret: bytes) -> str:
        p = self.path("secret.key")
        with open(p, "wb") as f:
            f.write(secret)
        return p

    def test_people_a(self):
        for s in SCHEMAS:
            with self.subTest(schema=s):
                self.check_all_paths(s + ".a.json", read_secret(s), "people_a.csv", s + ".a")

    def test_people_b(self):
        for s in SCHEMAS:
            with self.subTest(schema=s):
                self.check_all_paths(s + ".b.json", read_secret(s), "people_b.csv", s + ".b")

    def test_numeric(self):
        self.check_all_paths("s4_numeric.json", read_secret("s4_numeric"), "numeric.csv",
                             "s4_numeric")


class TestMatchVectors(unittest.TestCase):
    def sets(self, s: str):
        return (tznr.ClkSet.from_json(vec("clks", s + ".a.clks.json")),
                tznr.ClkSet.from_json(vec("clks", s + ".b.clks.json")))

    def test_dice_matrix(self):
        for s in SCHEMAS:
            with self.subTest(schema=s):
                a, b = self.sets(s)
                m = load_json("anonlink", s + ".dice_matrix.json")
                self.assertEqual([tznr.popcount(f) for f in a], m["popcounts_a"])
                self.assertEqual([tznr.popcount(f) for f in b], m["popcounts_b"])
                for i, fa in enumerate(a):
                    for j, fb in enumerate(b):
                        self.assertEqual(tznr.dice(fa, fb), m["dice"][i][j], (i, j))

    def test_candidates_0_7(self):
        for s in SCHEMAS:
            with self.subTest(schema=s):
                a, b = self.sets(s)
                ref = load_json("anonlink", s + ".candidates_t0.7.json")
                want = [(p["a_index"], p["b_index"], p["score"]) for p in ref["pairs"]]
                got = tznr.match(a, b, ref["threshold"], solver="none", as_numpy=False)
                self.assertEqual([tuple(x) for x in got], want)
                # also from lists of bytes rather than ClkSets
                got2 = tznr.match(list(a), list(b), 0.7, solver="none", as_numpy=False)
                self.assertEqual(got2, got)

    def test_greedy_0_7(self):
        for s in SCHEMAS:
            with self.subTest(schema=s):
                a, b = self.sets(s)
                ref = load_json("anonlink", s + ".greedy_t0.7.json")
                want = sorted((p["a_index"], p["b_index"]) for p in ref["pairs"])
                got = tznr.match(a, b, 0.7, as_numpy=False)
                self.assertEqual(sorted((x.a_index, x.b_index) for x in got), want)
                m = load_json("anonlink", s + ".dice_matrix.json")
                for x in got:
                    self.assertEqual(x.score, m["dice"][x.a_index][x.b_index])
                # the solver alone, on anonlink's own candidate list
                cands = load_json("anonlink", s + ".candidates_t0.7.json")["pairs"]
                solved = tznr.greedy_solve([(p["a_index"], p["b_index"], p["score"])
                                            for p in reversed(cands)], as_numpy=False)
                self.assertEqual(sorted((x[0], x[1]) for x in solved), want)

    def test_summary_counts(self):
        summary = load_json("summary.json")
        for s in SCHEMAS:
            with self.subTest(schema=s):
                a, b = self.sets(s)
                n_c = len(tznr.match(a, b, 0.7, solver="none", as_numpy=False))
                n_g = len(tznr.match(a, b, 0.7, as_numpy=False))
                self.assertEqual(n_c, summary["schemas"][s]["candidates"])
                self.assertEqual(n_g, summary["schemas"][s]["greedy_pairs"])

    def test_topk_against_anonlink_scores(self):
        # expected: each row of anonlink's Dice matrix, sorted by score descending, then
        # index ascending (the documented tie rule), cut at k
        for s in SCHEMAS:
            with self.subTest(schema=s):
                a, b = self.sets(s)
                m = load_json("anonlink", s + ".dice_matrix.json")["dice"]
                for i, q in enumerate(a):
                    for k, t in ((3, 0.0), (5, 0.5), (15, 0.7)):
                        want = sorted(((j, sc) for j, sc in enumerate(m[i]) if sc >= t),
                                      key=lambda x: (-x[1], x[0]))[:k]
                        self.assertEqual(tznr.topk(q, b, k, t), want, (i, k, t))


if __name__ == "__main__":
    unittest.main()
