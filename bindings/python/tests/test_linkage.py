"""Probabilistic linkage through Python: the Fellegi-Sunter model and EM (cases C16, C18,
C19, C21 of tests/data/cases, with their expected values), native containers, the linker."""
import csv
import json
import math
import os
import random
import unittest

import tznr
from tznr import _lib
from _support import CASES, TempDirTestCase

HAS_FS = _lib.available("tznr_fs_model_new")
HAS_LINK = _lib.available("tznr_linker_new") and _lib.available("tznr_container_new")


def load_patterns(path):
    """Binary agree (1) / disagree (0) columns -> levels 0 (agree) / 1 (disagree)."""
    with open(path, encoding="ascii", newline="") as f:
        r = csv.DictReader(f)
        fields = [c for c in r.fieldnames if c != "count"]
        rows = [([0 if row[c] == "1" else 1 for c in fields], int(row["count"])) for row in r]
    return fields, rows


def binary_params(init, names):
    m = [[init[n]["m_agree"], 1 - init[n]["m_agree"]] for n in names]
    u = [[init[n]["u_agree"], 1 - init[n]["u_agree"]] for n in names]
    return init["lambda"], m, u


@unittest.skipUnless(HAS_FS, "this libtznr has no Fellegi-Sunter model")
class TestFellegiSunter(unittest.TestCase):
    def table(self, case, name):
        fields, rows = load_patterns(os.path.join(CASES, case, name))
        t = tznr.FsPatterns(len(fields))
        for g, c in rows:
            t.add(g, c)
        self.assertEqual(t.total, sum(c for _, c in rows))
        self.assertEqual(t.distinct, len(rows))
        return fields, t

    def test_c16_zero_start_is_rejected(self):
        with open(os.path.join(CASES, "C16", "init_params.json"), encoding="utf-8") as f:
            init = json.load(f)
        model = tznr.FsModel([2, 2, 2])
        lam, m, u = binary_params(init, ["dob", "surname", "given_name"])
        with self.assertRaises(tznr.InvalidArgumentError) as cm:
            model.set_params(lam, m, u)
        self.assertIsInstance(cm.exception, ValueError)
        self.assertTrue(cm.exception.message)

    def test_c19_convergence_status(self):
        with open(os.path.join(CASES, "C19", "params.json"), encoding="utf-8") as f:
            p = json.load(f)
        names, table = self.table("C19", "gamma_counts.csv")
        self.assertEqual(names, ["dob_agree", "surname_agree", "given_name_agree"])
        lam, m, u = binary_params(p["init"], ["dob", "surname", "given_name"])

        model = tznr.FsModel([2, 2, 2])
        model.set_params(lam, m, u)
        r1 = model.em(table, max_iterations=1, tolerance=p["tolerance"])
        self.assertEqual((r1.iterations, r1.converged), (1, False))
        self.assertTrue(0.05 <= r1.last_change <= 0.1, r1.last_change)

        model = tznr.FsModel([2, 2, 2])
        model.set_params(lam, m, u)
        r2 = model.em(table, max_iterations=200, tolerance=p["tolerance"])
        self.assertTrue(r2.converged)
        self.assertLess(r2.iterations, 50)
        lam2, m2, u2 = model.params
        self.assertAlmostEqual(lam2, 0.0101, delta=0.002)
        for got, want in zip([x[0] for x in u2], (0.020, 0.010, 0.050)):
            self.assertAlmostEqual(got, want, delta=0.002)
        for got, want in zip([x[0] for x in m2], (0.946, 0.899, 0.848)):
            self.assertAlmostEqual(got, want, delta=0.01)
        for f in range(3):
            for lv in (0, 1):
                self.assertTrue(math.isfinite(model.level_weight(f, lv)))

    def test_c21_single_valued_field(self):
        names, table = self.table("C21", "vectors.csv")
        self.assertEqual(names, ["given_name", "surname", "dob", "sex"])
        model = tznr.FsModel([2, 2, 2, 2])
        model.em(table)
        self.assertFalse(model.informative(3))                 # sex: always agrees
        self.assertEqual([model.informative(f) for f in range(3)], [True] * 3)
        _, m, u = model.params
        for f in range(3):
            self.assertGreater(m[f][0], u[f][0])
        self.assertAlmostEqual(model.level_weight(3, 0), 0.0, delta=0.01)
        weight, prob, contrib = model.score([0, 0, 0, 0])
        self.assertTrue(math.isfinite(weight))
        self.assertGreaterEqual(prob, 0.5)                    # the 45 all-agree pairs match

    def test_c18_prior_above_one(self):
        # 200 records, all 'Solène': the rule matches all 19,900 pairs; recall 0.7 -> 1.43
        with self.assertRaises(tznr.InvalidArgumentError) as cm:
            tznr.prior_from_rule(19900, 0.7, 19900)
        self.assertIn("1", cm.exception.message)
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.prior_from_rule(0, 0.7, 19900)
        self.assertAlmostEqual(tznr.prior_from_rule(100, 0.5, 19900), 200 / 19900, places=15)

    def test_score_formula(self):
        # the documented weight: log2(lambda/(1-lambda)) + sum log2(m/u); p = 2^w/(1+2^w)
        model = tznr.FsModel([3, 2])
        lam, m, u = 0.02, [[0.8, 0.15, 0.05], [0.9, 0.1]], [[0.05, 0.15, 0.8], [0.3, 0.7]]
        model.set_params(lam, m, u)
        got_lam, got_m, got_u = model.params
        self.assertEqual(got_lam, lam)
        for gamma in ([0, 0], [1, 1], [2, None], [None, None]):
            w = math.log2(lam / (1 - lam)) + sum(
                0.0 if g is None else math.log2(m[f][g] / u[f][g]) for f, g in enumerate(gamma))
            weight, prob, contrib = model.score(gamma)
            self.assertAlmostEqual(weight, w, places=12)
            self.assertAlmostEqual(prob, 2 ** w / (1 + 2 ** w), places=12)
            self.assertEqual(contrib[1] if gamma[1] is None else None,
                             0.0 if gamma[1] is None else None)
        self.assertEqual(model.level_weight(0, None), 0.0)
        self.assertAlmostEqual(model.level_weight(0, 0), math.log2(0.8 / 0.05), places=12)
        with self.assertRaises(tznr.InvalidArgumentError):
            model.score([5, 0])


LINK_SCHEMA = {
    "version": 3,
    "clkConfig": {"l": 128, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64}},
    "features": [
        {"identifier": "id", "ignored": True},
        {"identifier": "name", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2},
                     "strategy": {"bitsPerFeature": 40}}},
        {"identifier": "city", "format": {"type": "string", "encoding": "utf-8"},
         "hashing": {"comparison": {"type": "ngram", "n": 2},
                     "strategy": {"bitsPerFeature": 40}}},
    ],
}


def random_filter(rng, nbytes, density=0.3):
    return bytes(sum((rng.random() < density) << b for b in range(8)) for _ in range(nbytes))


@unittest.skipUnless(HAS_LINK, "this libtznr has no containers or linker")
class TestContainersAndLinker(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.schema = tznr.Schema.from_json(LINK_SCHEMA)
        self.rng = random.Random(20240601)

    def make(self, people, prefix):
        """A container whose records carry the given (name filter, city filter) pairs; the
        CLK is their OR (as a CLK is the OR of its fields)."""
        c = tznr.Container(self.schema)
        for i, (fn, fc) in enumerate(people):
            clk = bytes(x | y for x, y in zip(fn, fc))
            c.append(f"{prefix}{i:03d}", [fn, fc], clk)
        return c

    def test_layout_and_round_trip(self):
        c = tznr.Container(self.schema)
        self.assertEqual(c.field_names, ("name", "city"))
        self.assertEqual((c.field_bits, c.clk_bits, len(c)), (128, 128, 0))
        self.assertEqual(c.fingerprint, self.schema.fingerprint)
        self.assertEqual(len(self.schema.fingerprint), 32)
        self.assertEqual(c.field_levels(0), self.schema.features[1].levels)
        self.assertEqual(self.schema.features[1].levels, (1.0, 0.85, 0.7))   # documented default
        f1, f2, clk = b"\x01" * 16, b"\x02" * 16, b"\x03" * 16
        c.append("r1", [f1, f2], clk)
        c.append("é-2", [bytearray(f2), memoryview(f1)], clk)
        self.assertEqual(c[0], tznr.ContainerRecord("r1", (f1, f2), clk))
        self.assertEqual(c[-1].id, "é-2")
        self.assertEqual(c.ids, ["r1", "é-2"])
        self.assertEqual(list(c.clks()), [clk, clk])
        p = self.path("a.tznr")
        c.write(p)
        d = tznr.Container.read(p)
        self.assertEqual([d[i] for i in range(len(d))], [c[0], c[1]])
        with self.assertRaises(tznr.BufferSizeError):
            c.append("bad", [f1], clk)
        with self.assertRaises(FileExistsError):
            c.write(p)
        # a flipped byte fails the checksum
        with open(p, "rb") as f:
            data = bytearray(f.read())
        data[-5] ^= 0x40
        with open(p, "wb") as f:
            f.write(data)
        with self.assertRaises(tznr.FormatError):
            tznr.Container.read(p)

    def test_append_needs_exclusive_use(self):
        c = tznr.Container(self.schema)
        with tznr._core._Use(c._res):       # as if another thread were reading it
            with self.assertRaises(RuntimeError):
                c.append("x", [b"\x01" * 16, b"\x01" * 16], b"\x01" * 16)
        c.append("x", [b"\x01" * 16, b"\x01" * 16], b"\x01" * 16)

    def test_compare_records(self):
        fa, fb = random_filter(self.rng, 16), random_filter(self.rng, 16)
        empty = bytes(16)
        a = self.make([(fa, fb), (fa, empty)], "a")
        self.assertEqual(tznr.compare_records(a, 0, a, 0), (0, 0))          # identical: agree
        self.assertEqual(tznr.compare_records(a, 0, a, 1), (0, None))       # empty: missing
        # another filter: the level of its Dice among the thresholds 1.0, 0.85, 0.7, else
        other = random_filter(self.rng, 16)
        d = tznr.dice(fa, other)
        want = next((i for i, t in enumerate((1.0, 0.85, 0.7)) if d >= t), 3)
        b = self.make([(other, fb)], "b")
        self.assertEqual(tznr.compare_records(a, 0, b, 0), (want, 0))

    def test_link_two_and_dedupe(self):
        n = 40
        people = [(random_filter(self.rng, 16), random_filter(self.rng, 16)) for _ in range(n)]
        # B: the 30 first people of A (identical encodings) in reverse order, 10 others
        b_people = people[:30][::-1] + [(random_filter(self.rng, 16),
                                         random_filter(self.rng, 16)) for _ in range(10)]
        a, b = self.make(people, "a"), self.make(b_people, "b")
        res = tznr.Linker(threshold=0.5).link(a, b)
        truth = {(i, 29 - i) for i in range(30)}
        got = {(x.a_row, x.b_row) for x in res.links}
        self.assertEqual(got, truth)
        for x in res.links:
            self.assertGreaterEqual(x.probability, 0.5)
        st = res.stats
        self.assertEqual(st.pairs, n * 40)
        prec, rec = res.estimates
        self.assertTrue(0.0 <= prec <= 1.0 and 0.0 <= rec <= 1.0)
        model = res.model
        self.assertEqual(model.levels, (4, 4))
        out = self.path("links.csv")
        res.write_links(out)
        with open(out, encoding="utf-8") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0][:2], ["a_id", "b_id"])
        self.assertEqual({(r[0], r[1]) for r in rows[1:]},
                         {(f"a{i:03d}", f"b{j:03d}") for i, j in truth})
        res.write_report(self.path("report.json"))
        with open(self.path("report.json"), encoding="utf-8") as f:
            json.load(f)
        self.assertIsNone(res.cluster(0))
        del res
        self.assertEqual(model.levels, (4, 4))     # the borrowed model kept its result alive

        if _lib.available("tznr_linker_set_threads"):
            for th in (1, 2, 0):
                self.assertEqual(tznr.Linker(threshold=0.5, threads=th).link(a, b).links,
                                 tznr.Linker(threshold=0.5).link(a, b).links)
            with self.assertRaises(tznr.InvalidArgumentError):
                tznr.Linker(threads=65)

        # deduplication: A plus copies of its first 5 records
        d = self.make(people + people[:5], "d")
        dd = tznr.Linker().dedupe(d)
        for i in range(5):
            self.assertEqual(dd.cluster(i), dd.cluster(n + i))
        self.assertNotEqual(dd.cluster(5), dd.cluster(6))
        dd.write_clusters(self.path("clusters.csv"))

    def test_linker_options(self):
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.Linker(threshold=1.5)
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.Linker(prefilter=-0.1)
        other = tznr.Schema.from_json(dict(LINK_SCHEMA, clkConfig=dict(LINK_SCHEMA["clkConfig"],
                                                                        l=256)))
        a = tznr.Container(self.schema)
        b = tznr.Container(other)
        a.append("x", [b"\x01" * 16] * 2, b"\x01" * 16)
        b.append("y", [b"\x01" * 32] * 2, b"\x01" * 32)
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.Linker().link(a, b)


if __name__ == "__main__":
    unittest.main()


C23_SCHEMA = json.dumps({
    "version": 3, "clkConfig": {"l": 256}, "linkage": {"idColumn": "pair"},
    "features": [
        {"identifier": "pair", "ignored": True},
        {"identifier": "surname", "format": {"type": "string"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}},
         "linkage": {"levels": [1.0, 0.8]}},
        {"identifier": "city", "format": {"type": "string"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}}},
    ]})


@unittest.skipUnless(_lib.available("tznr_encoder_encode_csv_container"), "no field-level encoding")
class TestC23MissingIsNotAgreement(TempDirTestCase):
    """Case C23: empty, whitespace-only and NULL (None, written as an empty CSV field) surnames
    fall in the missing level on either side; only DUBOIS vs DUBOIS agrees."""

    def test_c23(self):
        pairs = []
        with open(os.path.join(CASES, "C23", "pairs.csv"), encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                def val(v):
                    return "" if v == "NA_MARKER" else v   # a true NULL becomes an empty field
                pairs.append((row["pair"], val(row["left_surname"]), val(row["right_surname"])))
        enc = tznr.Encoder(tznr.Schema.from_json(C23_SCHEMA), secret=b"c23 secret")
        sides = []
        for k in (1, 2):
            p = self.path(f"side{k}.csv")
            with open(p, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["pair", "surname", "city"])
                for pr in pairs:
                    w.writerow([pr[0], pr[k], "Lyon"])   # city present: no record is all-empty
            sides.append(enc.encode_csv_container(p))
        got = {pairs[i][0]: tznr.compare_records(sides[0], i, sides[1], i)[0] for i in range(len(pairs))}
        self.assertEqual(got, {"p1": None, "p2": None, "p3": None, "p4": None, "p5": 0})


@unittest.skipUnless(_lib.available("tznr_linker_set_max_links"), "no links limit")
class TestC14OneHugeBlock(TempDirTestCase):
    """Case C14: records of one surname and birth year form one block. Links (pairs with the
    same given name: every field agrees) are counted here from the CSV with
    collections.Counter; one fewer allowed than that stops the run with LimitError naming
    the count and the limit. match() refuses more candidate pairs than max_pairs."""

    def test_links_limit(self):
        import collections
        src = os.path.join(CASES, "C14", "records_1500.csv")
        with open(src, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        p = self.path("records_400.csv")
        with open(p, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows[:401])
        counts = collections.Counter(r[1] for r in rows[1:401])
        want = sum(n * (n - 1) // 2 for n in counts.values())
        with open(os.path.join(CASES, "C14", "schema_fs.json"), encoding="utf-8") as f:
            enc = tznr.Encoder(tznr.Schema.from_json(f.read()), secret=b"c14 python secret")
        c = enc.encode_csv_container(p)
        res = tznr.Linker(max_links=0, threads=2).dedupe(c)
        self.assertEqual(len(res.links), want)
        self.assertEqual(len(tznr.Linker(max_links=want).dedupe(c).links), want)
        with self.assertRaises(tznr.LimitError) as cm:
            tznr.Linker(max_links=want - 1).dedupe(c)
        msg = str(cm.exception)
        self.assertIn("400 records", msg)
        self.assertIn(f"{want} of the {400 * 399 // 2} pairs", msg)
        self.assertIn(f"limit of {want - 1} links", msg)
        with self.assertRaises(ValueError):
            tznr.Linker(max_links=-1)

    def test_match_max_pairs(self):
        filters = [bytes([0x5A] * 64)] * 200     # one bucket: 200 x 200 = 40,000 pairs at 1.0
        got = tznr.match(filters, filters, 1.0, solver="none", max_pairs=40000, as_numpy=False)
        self.assertEqual(len(got), 40000)
        with self.assertRaises(tznr.LimitError) as cm:
            tznr.match(filters, filters, 1.0, solver="none", max_pairs=39999)
        self.assertIn("more than 39999 candidate pairs", str(cm.exception))
        self.assertEqual(len(tznr.match(filters, filters, 1.0, solver="greedy", max_pairs=0,
                                        as_numpy=False)), 200)


@unittest.skipUnless(_lib.available("tznr_link_column_count"), "this libtznr has no linkage groups")
class TestC27LinkageGroups(TempDirTestCase):
    """Case C27: file A has a birth name and a usage name, file B one name column. The schema
    puts nom_naissance and nom_usage in linkage group "nom": one comparison column, the best
    Dice over every cross pair of non-empty member filters. Expected values by hand (see
    tests/test_link.c): identical names -> Dice 1 -> level 0; DUPONT vs DURAND bigram Dice
    4/14 -> below 0.7 -> level 2 ("else"); no name on one side -> missing."""

    C27 = os.path.join(CASES, "C27")

    def encode(self, schema, csv_name):
        with open(os.path.join(self.C27, schema), encoding="utf-8") as f:
            enc = tznr.Encoder(tznr.Schema.from_json(f.read()), secret=b"c27 python secret")
        return enc.encode_csv_container(os.path.join(self.C27, csv_name))

    def test_columns_and_levels(self):
        a = self.encode("schema.json", "file_a.csv")
        b = self.encode("schema.json", "file_b_shared.csv")
        miss = self.encode("schema.json", "file_a_missing.csv")
        self.assertEqual(a.field_groups, ("nom", "nom", None, None, None))
        self.assertEqual(tznr.link_columns(a),
                         (("nom", (0, 1)), ("prenom", (2,)), ("date_naissance", (3,)),
                          ("sexe", (4,))))
        self.assertEqual([tznr.compare_records(a, 0, b, j) for j in range(3)],
                         [(0, 0, 0, 0), (0, 0, 0, 0), (2, 0, 0, 0)])
        self.assertEqual(tznr.compare_records(miss, 0, b, 0), (None, 0, 0, 0))   # A2: no name
        self.assertEqual(tznr.compare_records(miss, 1, b, 1), (2, 0, 0, 0))      # A3 vs MARTIN
        # without the group: 5 columns, and A1's birth name never meets B1's name (the fault)
        a0 = self.encode("schema_no_group.json", "file_a.csv")
        b0 = self.encode("schema_no_group.json", "file_b_shared.csv")
        self.assertEqual(len(tznr.link_columns(a0)), 5)
        self.assertEqual(tznr.compare_records(a0, 0, b0, 0), (None, 2, 0, 0, 0))

    def test_fixed_model_linkage(self):
        a = self.encode("schema.json", "file_a.csv")
        b = self.encode("schema.json", "file_b_shared.csv")
        model = tznr.FsModel([3, 2, 2, 2])      # one m/u per column: the group has one
        m = [[0.9, 0.095, 0.005], [0.9, 0.1], [0.9, 0.1], [0.95, 0.05]]
        u = [[0.01, 0.04, 0.95], [0.3, 0.7], [0.3, 0.7], [0.9, 0.1]]
        model.set_params(0.01, m, u)
        w, p, contrib = model.score(tznr.compare_records(a, 0, b, 0))
        agree = math.log2(0.9 / 0.01) + 2 * math.log2(0.9 / 0.3) + math.log2(0.95 / 0.9)
        self.assertAlmostEqual(w, math.log2(0.01 / 0.99) + agree, places=12)
        self.assertAlmostEqual(p, 95 / 106, places=12)
        w3, p3, _ = model.score(tznr.compare_records(a, 0, b, 2))
        self.assertAlmostEqual(w3, math.log2(0.01 / 0.99) + math.log2(0.005 / 0.95)
                               + 2 * math.log2(0.9 / 0.3) + math.log2(0.95 / 0.9), places=12)
        self.assertLess(p3, 0.001)
        res = tznr.Linker(model=model, fix_m=True, fix_u=True, threads=1).link(a, b)
        self.assertEqual([(l.a_row, b.id(l.b_row)) for l in res.links], [(0, "B1")])
        lam = res.model.params[0]
        self.assertAlmostEqual(res.links[0].weight - math.log2(lam / (1 - lam)), agree, places=9)
        report = self.path("report.json")
        res.write_report(report)
        with open(report, encoding="utf-8") as f:
            fields = json.load(f)["fields"]
        self.assertEqual([x["name"] for x in fields], ["nom", "prenom", "date_naissance", "sexe"])
        self.assertEqual(fields[0]["members"], ["nom_naissance", "nom_usage"])
        self.assertNotIn("members", fields[1])

    def test_bad_groups(self):
        with open(os.path.join(self.C27, "schema.json"), encoding="utf-8") as f:
            good = json.load(f)
        bad = json.loads(json.dumps(good))
        bad["features"][2]["linkage"]["levels"] = [1.0, 0.8]
        with self.assertRaises(tznr.SchemaError) as cm:
            tznr.Schema.from_json(json.dumps(bad))
        self.assertIn("features[2].linkage.levels: must be the same as in features[1]",
                      str(cm.exception))
        bad = json.loads(json.dumps(good))
        del bad["features"][2]["linkage"]["group"]
        with self.assertRaises(tznr.SchemaError) as cm:
            tznr.Schema.from_json(json.dumps(bad))
        self.assertIn('features[1].linkage.group: linkage group "nom" has only this member',
                      str(cm.exception))

    def test_container_header_groups_checked(self):
        """A container whose header breaks the group rules is refused on reading (the
        checksum recomputed, so the header check itself is reached)."""
        import hashlib
        import struct
        a = self.encode("schema.json", "file_a.csv")
        path = self.path("a.tznr")
        a.write(path)
        with open(path, "rb") as f:
            data = f.read()[:-32]
        hlen = struct.unpack("<I", data[12:16])[0]
        header = json.loads(data[16:16 + hlen])
        self.assertEqual([f.get("group") for f in header["fields"]], ["nom", "nom", None, None, None])

        def variant(change, message):
            h = json.loads(json.dumps(header))
            change(h)
            hb = json.dumps(h).encode("utf-8")
            body = data[:12] + struct.pack("<I", len(hb)) + hb + data[16 + hlen:]
            p = self.path("bad.tznr")
            with open(p, "wb") as f:
                f.write(body + hashlib.sha256(body).digest())
            with self.assertRaises(tznr.FormatError) as cm:
                tznr.Container.read(p)
            self.assertIn(message, str(cm.exception))

        variant(lambda h: h["fields"][1].pop("group"),
                "fields[0].group: a linkage group needs at least 2 fields")
        variant(lambda h: h["fields"][1].__setitem__("levels", [1.0, 0.8]),
                "fields[1].levels must equal fields[0].levels")
        variant(lambda h: h["fields"][0].__setitem__("group", 7),
                "fields[0].group must be a group name")
        variant(lambda h: [f.__setitem__("group", "prenom") for f in h["fields"][:2]],
                "fields[0].group is the name of fields[2]")
