"""Python threads: calls release the GIL, one encoder / one ClkSet is shared safely
(the C headers: encoding is safe concurrently on one encoder, a schema is immutable,
read-only set and candidate calls may run concurrently), error details are per thread,
and closing an object while another thread uses it never frees it under that call."""
import csv
import threading
import time
import unittest

import tznr
from _support import TempDirTestCase, expected_clks, read_secret, vec


def people(name):
    with open(vec("input", name), encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        next(r)
        return list(r)


def run_threads(n, target):
    errors = []
    results = [None] * n

    def wrap(i):
        try:
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results, errors


class TestThreads(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.schema = tznr.Schema.from_file(vec("schemas", "s1_example.a.json"))
        self.enc = tznr.Encoder(self.schema, read_secret("s1_example"))
        self.rows = people("people_a.csv")
        self.want = expected_clks("s1_example.a")

    def tearDown(self):
        self.enc.close()
        self.schema.close()
        super().tearDown()

    def big_csv(self, copies):
        p = self.path("big.csv")
        with open(vec("input", "people_a.csv"), encoding="utf-8", newline="") as f:
            lines = f.read().splitlines(keepends=True)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(lines[0])
            for _ in range(copies):
                f.writelines(lines[1:])
        return p

    def test_shared_encoder(self):
        def work(i):
            out = []
            for k in range(30):
                # each thread encodes a different rotation of the rows
                r = (i + k) % len(self.rows)
                got = self.enc.encode(self.rows[r:] + self.rows[:r])
                out.append(got == self.want[r:] + self.want[:r])
            return all(out)
        results, errors = run_threads(4, work)
        self.assertEqual(errors, [])
        self.assertEqual(results, [True] * 4)

    def test_shared_clksets_matching(self):
        a = tznr.ClkSet.from_json(vec("clks", "s2_doublehash.a.clks.json"))
        b = tznr.ClkSet.from_json(vec("clks", "s2_doublehash.b.clks.json"))
        want = tznr.match(a, b, 0.7, as_numpy=False)
        want_c = tznr.match(a, b, 0.5, solver="none", as_numpy=False)

        def work(i):
            return all(tznr.match(a, b, 0.7, as_numpy=False) == want and
                       tznr.match(a, b, 0.5, solver="none", as_numpy=False) == want_c and
                       list(a) == list(a) for _ in range(30))
        results, errors = run_threads(4, work)
        self.assertEqual(errors, [])
        self.assertEqual(results, [True] * 4)

    def test_gil_is_released_during_calls(self):
        path = self.big_csv(1500)   # 30,000 records: a call that lasts a while
        span = {}

        # one thread and no memo, where the library has the options: a call of a second
        slow = (dict(threads=1, memo="off")
                if tznr._lib.available("tznr_encoder_encode_csv_opts") else {})

        def worker():
            span["t0"] = time.perf_counter()
            span["n"] = len(self.enc.encode_csv(path, **slow))
            span["t1"] = time.perf_counter()

        t = threading.Thread(target=worker)
        ticks = []
        t.start()
        while t.is_alive():
            ticks.append(time.perf_counter())
            sum(range(100))
        t.join()
        self.assertEqual(span["n"], 30000)
        inside = [x for x in ticks if span["t0"] < x < span["t1"]]
        # with the GIL held for the call, this thread could not run at all meanwhile
        self.assertGreater(span["t1"] - span["t0"], 0.1)
        self.assertGreater(len(inside), 10, f"{len(inside)} ticks during a "
                           f"{span['t1'] - span['t0']:.3f} s call")

    def test_error_details_are_per_thread(self):
        bad_row = list(self.rows[0])
        bad_row[3] = "1980-13-45"

        def schema_errors(i):
            for _ in range(200):
                try:
                    tznr.Schema.from_json('{"version": 3, "clkConfig": {"l": 1024}, '
                                          '"features": []}')
                except tznr.SchemaError as e:
                    if "features" not in e.message or "dob" in e.message:
                        return e.message
            return True

        def input_errors(i):
            for _ in range(200):
                try:
                    self.enc.encode([self.rows[1], bad_row])
                except tznr.InputError as e:
                    if "record 1: column 'dob'" not in e.message:
                        return e.message
            return True

        results, errors = run_threads(4, lambda i: (schema_errors if i % 2 else input_errors)(i))
        self.assertEqual(errors, [])
        self.assertEqual(results, [True] * 4)

    def test_close_while_in_use(self):
        path = self.big_csv(200)    # 4,000 records per call
        first = expected_clks("s1_example.a")
        done = []
        stop = []

        def worker():
            while True:
                try:
                    cs = self.enc.encode_csv(path)
                except ValueError as e:      # closed: no more calls are accepted
                    stop.append(str(e))
                    return
                done.append(list(cs[:20]) == first and len(cs) == 4000)

        t = threading.Thread(target=worker)
        t.start()
        while not done:
            time.sleep(0.01)
        self.enc.close()          # may land in the middle of a call: freed after it
        t.join(60)
        self.assertFalse(t.is_alive())
        self.assertTrue(all(done))
        self.assertEqual(len(stop), 1)
        self.assertIn("closed", stop[0])


if __name__ == "__main__":
    unittest.main()
