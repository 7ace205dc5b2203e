"""Options of the multithreaded calls through Python: encoding threads / memo / progress,
matching threads / top-k / LSH blocking / statistics / streaming, comparison kernels.
None of them may change a result: expected values are the reference vectors and the
plain (single-threaded, exhaustive) search."""
import csv
import unittest

import tznr
from tznr import _lib
from _support import TempDirTestCase, expected_clks, read_secret, vec

HAS_ENC_OPTS = _lib.available("tznr_encoder_encode_batch_opts")
HAS_MATCH = _lib.available("tznr_match")


def rows(name):
    with open(vec("input", name), encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        next(r)
        return list(r)


@unittest.skipUnless(HAS_ENC_OPTS, "this libtznr has no encoding options")
class TestEncodeOptions(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.schema = tznr.Schema.from_file(vec("schemas", "s3_mixed.a.json"))
        self.enc = tznr.Encoder(self.schema, read_secret("s3_mixed"))
        self.want = expected_clks("s3_mixed.a")
        self.rows = rows("people_a.csv")
        # 2,000 rows (many chunks of records for the worker threads)
        self.big = self.path("big.csv")
        with open(vec("input", "people_a.csv"), encoding="utf-8", newline="") as f:
            lines = f.read().splitlines(keepends=True)
        with open(self.big, "w", encoding="utf-8", newline="") as f:
            f.write(lines[0])
            for _ in range(100):
                f.writelines(lines[1:])

    def tearDown(self):
        self.enc.close()
        self.schema.close()
        super().tearDown()

    def test_every_option_gives_the_reference(self):
        for threads in (None, 1, 2, 3, 0):
            for memo in (None, "all", "tokens", "off"):
                with self.subTest(threads=threads, memo=memo):
                    self.assertEqual(self.enc.encode(self.rows * 100, threads=threads,
                                                     memo=memo), self.want * 100)
                    self.assertEqual(list(self.enc.encode_csv(self.big, threads=threads,
                                                              memo=memo)), self.want * 100)
        self.assertEqual(self.enc.encode(self.rows, memo_max_bytes=1), self.want)

    def test_encoder_defaults(self):
        with tznr.Encoder(self.schema, read_secret("s3_mixed"), threads=2, memo="off") as e:
            self.assertEqual(e.encode(self.rows), self.want)
        with self.assertRaises(ValueError):
            tznr.Encoder(self.schema, b"k", memo="sometimes")
        with self.assertRaises(ValueError):
            self.enc.encode(self.rows, threads=-1)

    # The library calls progress at most every 0.25 s: these use a call that lasts longer
    # (50,000 records, one thread, no memo).
    SLOW = dict(threads=1, memo="off")

    def test_progress(self):
        seen = []
        n = 50_000
        got = self.enc.encode(self.rows * (n // 20), progress=lambda d, t: seen.append((d, t)),
                              **self.SLOW)
        self.assertEqual(got, self.want * (n // 20))
        self.assertGreater(len(seen), 0)
        for d, t in seen:
            self.assertEqual(t, n)
            self.assertLessEqual(d, n)
        self.assertEqual([d for d, _ in seen], sorted(d for d, _ in seen))

    def test_progress_cancels(self):
        calls = []

        def cancel(d, t):
            calls.append(d)
            return True
        with self.assertRaises(tznr.StateError) as cm:
            self.enc.encode(self.rows * 2500, progress=cancel, **self.SLOW)
        self.assertIsInstance(cm.exception, RuntimeError)
        self.assertEqual(len(calls), 1)
        big = self.path("bigger.csv")
        with open(self.big, encoding="utf-8") as f:
            lines = f.read().splitlines(keepends=True)
        with open(big, "w", encoding="utf-8") as f:
            f.write(lines[0])
            for _ in range(25):
                f.writelines(lines[1:])
        with self.assertRaises(tznr.StateError):
            self.enc.encode_csv(big, progress=cancel, **self.SLOW)

    def test_progress_exception_is_reraised(self):
        class Stop(Exception):
            pass

        def boom(d, t):
            raise Stop("from the callback")
        with self.assertRaises(Stop):
            self.enc.encode(self.rows * 2500, progress=boom, **self.SLOW)

    @unittest.skipUnless(_lib.available("tznr_encoder_encode_csv_to_json"), "no csv_to_json")
    def test_encode_csv_to_json(self):
        out = self.path("out.json")
        self.enc.encode_csv_to_json(self.big, out, threads=2)
        self.assertEqual(list(tznr.ClkSet.from_json(out)), self.want * 100)
        with self.assertRaises(FileExistsError):
            self.enc.encode_csv_to_json(self.big, out)
        self.enc.encode_csv_to_json(vec("input", "people_a.csv"), out, force=True)
        self.assertEqual(list(tznr.ClkSet.from_json(out)), self.want)


@unittest.skipUnless(HAS_MATCH, "this libtznr has no tznr_match")
class TestMatchOptions(unittest.TestCase):
    def setUp(self):
        self.a = tznr.ClkSet.from_json(vec("clks", "s1_example.a.clks.json"))
        self.b = tznr.ClkSet.from_json(vec("clks", "s1_example.b.clks.json"))
        self.dice = [[tznr.dice(x, y) for y in self.b] for x in self.a]

    def expected(self, t):
        """All pairs >= t from the scalar Dice, in the documented order."""
        pairs = [(i, j, s) for i, row in enumerate(self.dice) for j, s in enumerate(row)
                 if s >= t]
        return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))

    def test_threads(self):
        for t in (0.0, 0.5, 0.7):
            want = self.expected(t)
            for threads in (None, 1, 2, 4, 0):
                with self.subTest(t=t, threads=threads):
                    got = tznr.match(self.a, self.b, t, solver="none", threads=threads,
                                     as_numpy=False)
                    self.assertEqual([tuple(x) for x in got], want)

    def test_top_k(self):
        for k in (1, 2, 5):
            want = []
            for i in range(len(self.a)):
                mine = sorted([p for p in self.expected(0.3) if p[0] == i],
                              key=lambda p: (-p[2], p[1]))[:k]
                want.extend(mine)
            want.sort(key=lambda p: (-p[2], p[0], p[1]))
            got = tznr.match(self.a, self.b, 0.3, solver="none", top_k=k, as_numpy=False)
            self.assertEqual([tuple(x) for x in got], want, k)

    def test_stats(self):
        st = tznr.MatchStats()
        got = tznr.match(self.a, self.b, 0.7, solver="none", stats=st, as_numpy=False)
        self.assertEqual(st.pairs_total, 20 * 15)
        self.assertEqual(st.pairs_out, len(got))
        self.assertLessEqual(st.comparisons, 20 * 15)
        self.assertIn(st.kernel, ("scalar", "avx2", "avx512"))
        self.assertGreaterEqual(st.threads, 1)


    @unittest.skipUnless(_lib.available("tznr_match_stream"), "no tznr_match_stream")
    def test_stream(self):
        chunks = []
        self.assertTrue(tznr.match_stream(self.a, self.b, 0.5, chunks.append, threads=2))
        flat = sorted((tuple(p) for c in chunks for p in c), key=lambda p: (-p[2], p[0], p[1]))
        self.assertEqual(flat, self.expected(0.5))
        for c in chunks:
            self.assertEqual([p[:2] for p in c], sorted(p[:2] for p in c))
        # the sink stops the search: no error, False
        n = []
        self.assertFalse(tznr.match_stream(self.a, self.b, 0.0, lambda c: n.append(c) or True))
        self.assertEqual(len(n), 1)

        def boom(c):
            raise KeyError("sink")
        with self.assertRaises(KeyError):
            tznr.match_stream(self.a, self.b, 0.0, boom)

    @unittest.skipUnless(_lib.available("tznr_cpu_kernel"), "no kernel selection")
    def test_kernels(self):
        before = tznr.cpu_kernel()
        want = self.expected(0.6)
        try:
            for k in ("scalar", "avx2", "avx512", "auto"):
                if not tznr.cpu_kernel_supported(k):
                    with self.assertRaises(tznr.UnsupportedError):
                        tznr.set_cpu_kernel(k)
                    continue
                tznr.set_cpu_kernel(k)
                got = tznr.match(self.a, self.b, 0.6, solver="none", as_numpy=False)
                self.assertEqual([tuple(x) for x in got], want, k)
            with self.assertRaises(tznr.InvalidArgumentError):
                tznr.set_cpu_kernel("quantum")
            self.assertFalse(tznr.cpu_kernel_supported("quantum"))
        finally:
            tznr.set_cpu_kernel("auto")
        self.assertEqual(tznr.cpu_kernel(), before if before else tznr.cpu_kernel())


@unittest.skipUnless(_lib.available("tznr_lsh_new"), "no LSH blocking")
class TestLsh(unittest.TestCase):
    def setUp(self):
        self.a = tznr.ClkSet.from_json(vec("clks", "s2_doublehash.a.clks.json"))
        self.b = tznr.ClkSet.from_json(vec("clks", "s2_doublehash.b.clks.json"))

    def test_index(self):
        idx = tznr.LshIndex(1024, 8, 5, seed=42)
        self.assertEqual((idx.k, idx.tables, idx.seed, idx.filter_bits), (8, 5, 42, 1024))
        pos = idx.positions(0)
        self.assertEqual(len(pos), 8)
        self.assertTrue(all(0 <= p < 1024 for p in pos))
        self.assertEqual(tznr.LshIndex(1024, 8, 5, seed=42).positions(4), idx.positions(4))
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.LshIndex(1024, 0, 5)

    def test_blocking_is_a_subset_with_the_same_scores(self):
        full = {(x[0], x[1]): x[2] for x in tznr.match(self.a, self.b, 0.7, solver="none",
                                                         as_numpy=False)}
        idx = tznr.LshIndex.choose(self.a, self.b, 0.7, 0.999)
        self.assertGreaterEqual(idx.tables, 1)
        if _lib.available("tznr_lsh_recall"):
            every, mean = idx.recall(self.a, self.b, 0.7)
            self.assertGreaterEqual(every, 0.999)     # the goal it was chosen for
            self.assertGreaterEqual(mean, every)
        with self.assertRaises(ValueError):
            tznr.LshIndex.choose(self.a, self.b, 0.7, 0.999, goal="most")
        got = tznr.match(self.a, self.b, 0.7, solver="none", blocking=idx, as_numpy=False)
        for x in got:
            self.assertEqual(full[(x[0], x[1])], x[2])
        # a pair agreeing on every bit (identical filters) is always a candidate
        self.assertIn((4, 4), {(x[0], x[1]) for x in got})

    def test_probability_formula(self):
        # 1 - (1 - p^k)^tables, by hand
        for p, k, t in ((0.9, 10, 20), (0.5, 3, 1), (1.0, 64, 7)):
            self.assertAlmostEqual(tznr.lsh_candidate_probability(p, k, t),
                                   1 - (1 - p ** k) ** t, places=12)
        self.assertEqual(tznr.lsh_agreement_bound(0.0, 1024, 0), 1.0)


if __name__ == "__main__":
    unittest.main()
