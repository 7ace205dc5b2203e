"""Ownership of C handles: close() / with / garbage collection free each handle exactly
once, a schema outlives the encoders made from it, use after close is an error (never a
crash), and create/free loops do not grow the process (C memory included).

The same loop is run under valgrind by lifetime_valgrind.sh (meson test python-valgrind,
when valgrind is installed): no leak or invalid access in libtznr's frames."""
import gc
import os
import sys
import unittest

import tznr
from _support import TempDirTestCase, read_secret, vec

with open(vec("schemas", "s1_example.a.json"), encoding="utf-8") as _f:
    SCHEMA_JSON = _f.read()
SECRET = read_secret("s1_example")
PEOPLE_A = vec("input", "people_a.csv")


def workload(tmpdir: str, i: int, explicit_close: bool) -> int:
    """One pass over every kind of handle; returns a number so that nothing is optimised
    away. With explicit_close, objects are closed; otherwise garbage collection frees them."""
    schema = tznr.Schema.from_json(SCHEMA_JSON)
    enc = tznr.Encoder(schema, SECRET)
    a = enc.encode_csv(PEOPLE_A)
    rows = [["x%d" % j, "Jean", "Dupont", "1980-01-%02d" % (j + 1), "M", "75011", ""]
            for j in range(10)]
    b = tznr.ClkSet(enc.encode(rows))
    links = tznr.match(a, b, 0.5, as_numpy=False)
    cands = tznr.match(a, b, 0.3, solver="none", as_numpy=False)
    solved = tznr.greedy_solve(cands, as_numpy=False)
    out = os.path.join(tmpdir, "c.json")
    if i % 20 == 0 or not os.path.exists(out):   # the writes fsync: keep them rare
        a.to_json(out, force=True)
        tznr.write_links_csv(links, os.path.join(tmpdir, "l.csv"), force=True)
    c = tznr.ClkSet.from_json(out)
    try:
        tznr.Schema.from_json('{"version": 3}')
    except tznr.SchemaError:
        pass
    try:
        enc.encode([["x", "A", "B", "not a date", "M", "75011", ""]])
    except tznr.InputError:
        pass
    n = len(links) + len(solved) + len(c) + len(tznr.topk(a[0], b, 3))
    if explicit_close:
        for h in (c, b, a, enc, schema):
            h.close()
    return n


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class TestOwnership(unittest.TestCase):
    def setUp(self):
        self.schema = tznr.Schema.from_json(SCHEMA_JSON)

    def test_close_is_idempotent_and_use_after_close_raises(self):
        enc = tznr.Encoder(self.schema, SECRET)
        cs = enc.encode_csv(PEOPLE_A)
        cs.close()
        cs.close()
        self.assertTrue(cs.closed)
        with self.assertRaises(ValueError):
            cs[0]
        with self.assertRaises(ValueError):
            list(cs)
        enc.close()
        enc.close()
        with self.assertRaises(ValueError):
            enc.encode_csv(PEOPLE_A)
        with self.assertRaises(ValueError):
            enc.encode([["a"] * 7])

    def test_context_managers(self):
        with tznr.Schema.from_json(SCHEMA_JSON) as s, tznr.Encoder(s, SECRET) as e, \
                e.encode_csv(PEOPLE_A) as cs:
            self.assertEqual(len(cs), 20)
        for h in (s, e, cs):
            self.assertTrue(h.closed)

    def test_schema_outlives_its_encoders(self):
        s = tznr.Schema.from_json(SCHEMA_JSON)
        res = s._res
        e1 = tznr.Encoder(s, SECRET)
        e2 = tznr.Encoder(s, SECRET)
        want = e1.encode_csv(PEOPLE_A)
        s.close()                  # the user is done with it; the encoders still need it
        self.assertTrue(s.closed)
        self.assertIsNotNone(res.ptr)
        with self.assertRaises(ValueError):
            tznr.Encoder(s, SECRET)      # but no new use of a closed schema
        e1.close()
        self.assertIsNotNone(res.ptr)
        self.assertEqual(list(e2.encode_csv(PEOPLE_A)), list(want))
        e2.close()
        self.assertIsNone(res.ptr)       # freed with the last encoder

    def test_garbage_collection_frees(self):
        s = tznr.Schema.from_json(SCHEMA_JSON)
        e = tznr.Encoder(s, SECRET)
        fin_s, fin_e, res_s = s._finalizer, e._finalizer, s._res
        del s                     # the encoder keeps the schema alive
        gc.collect()
        self.assertTrue(fin_s.alive)
        self.assertIsNotNone(res_s.ptr)
        del e
        gc.collect()
        self.assertFalse(fin_e.alive)
        self.assertFalse(fin_s.alive)
        self.assertIsNone(res_s.ptr)

    def test_reference_cycle(self):
        s = tznr.Schema.from_json(SCHEMA_JSON)
        e = tznr.Encoder(s, SECRET)
        holder = {"e": e, "s": s}
        holder["self"] = holder
        e.cycle = holder
        res_s, res_e = s._res, e._res
        del s, e, holder
        gc.collect()
        self.assertIsNone(res_e.ptr)
        self.assertIsNone(res_s.ptr)

    def test_constructor_is_not_public(self):
        with self.assertRaises(TypeError):
            tznr.Schema()


class TestNoGrowth(TempDirTestCase):
    """RSS after warm-up and after many more iterations: a leak of even one small C object
    per iteration (a candidate list, a CLK set) would show as megabytes here."""

    def loop(self, explicit_close: bool):
        if "asan" in os.environ.get("LD_PRELOAD", ""):
            self.skipTest("RSS is not meaningful under AddressSanitizer (quarantine)")
        for i in range(200):
            workload(self.tmp, i, explicit_close)
        gc.collect()
        before = rss_bytes()
        iters = 2000
        for i in range(iters):
            workload(self.tmp, i, explicit_close)
        gc.collect()
        grown = rss_bytes() - before
        # the smallest C object each iteration allocates and must free is a few hundred
        # bytes (a candidate list); 2000 of them are close to 1 MiB
        print(f"RSS growth {grown} bytes", file=sys.stderr)
        self.assertLess(grown, 1 << 20, f"RSS grew by {grown} bytes over {iters} iterations")

    def test_loop_close(self):
        self.loop(True)

    def test_loop_gc(self):
        self.loop(False)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--loop":
        # used by lifetime_valgrind.sh: N iterations, then exit
        import tempfile
        n = int(sys.argv[2])
        with tempfile.TemporaryDirectory() as d:
            for i in range(n):
                workload(d, i, i % 2 == 0)
        gc.collect()
        print(f"{n} iterations done")
    else:
        unittest.main()
