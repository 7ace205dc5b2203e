"""Status codes become exceptions: each class from a real failing call, with the library's
detail message, and the builtin exception it also derives from."""
import json
import os
import subprocess
import sys
import textwrap
import unittest

import tznr
from tznr import _lib
from _support import TempDirTestCase, read_secret, vec


def header_codes():
    """tznr_error_t as written in include/tznr/common.h (independent of the Python table)."""
    import re
    from _support import SOURCE_ROOT
    with open(os.path.join(SOURCE_ROOT, "include", "tznr", "common.h"), encoding="utf-8") as f:
        text = f.read()
    body = text[text.index("typedef enum tznr_error"):]
    body = body[:body.index("} tznr_error_t;")]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(TZNR_\w+)\s*=\s*(-?\d+)", body)}


class TestErrorMapping(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.schema = tznr.Schema.from_file(vec("schemas", "s1_example.a.json"))
        self.enc = tznr.Encoder(self.schema, read_secret("s1_example"))

    def tearDown(self):
        self.enc.close()
        self.schema.close()
        super().tearDown()

    def assertTznr(self, cm, cls, code_name, builtin, *fragments):
        e = cm.exception
        self.assertIs(type(e), cls)
        self.assertIsInstance(e, tznr.TznrError)
        self.assertIsInstance(e, builtin)
        self.assertEqual(e.code, tznr.CODES[code_name])
        self.assertEqual(e.name, code_name)
        self.assertTrue(e.message)
        self.assertEqual(str(e), e.message)
        for frag in fragments:
            self.assertIn(frag, e.message)

    def test_codes_match_header(self):
        self.assertEqual(tznr.CODES, header_codes())

    def test_einval_empty_secret(self):
        with self.assertRaises(ValueError) as cm:
            tznr.Encoder(self.schema, b"")
        self.assertTznr(cm, tznr.InvalidArgumentError, "TZNR_EINVAL", ValueError, "secret")

    def test_einval_threshold(self):
        a = tznr.ClkSet([b"\x01" * 8])
        with self.assertRaises(tznr.InvalidArgumentError) as cm:
            tznr.match(a, a, 1.5)
        self.assertTznr(cm, tznr.InvalidArgumentError, "TZNR_EINVAL", ValueError, "threshold")
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.match(a, a, float("nan"))
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.topk(b"\x01" * 8, [b"\x01" * 8], 1, -0.1)

    def test_einval_filter_length(self):
        with self.assertRaises(tznr.InvalidArgumentError) as cm:
            tznr.popcount(b"\x01" * 7)
        self.assertTznr(cm, tznr.InvalidArgumentError, "TZNR_EINVAL", ValueError, "multiple of 8")
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.ClkSet([], filter_bits=100)

    def test_enomem(self):
        # a real allocation failure: all pairs of two 3000-filter sets at threshold 0 need
        # 9 million candidates (over 200 MB) under an address-space limit of +64 MiB
        prog = textwrap.dedent("""
            import os, resource, tznr
            a = tznr.ClkSet([os.urandom(8) for _ in range(3000)])
            b = tznr.ClkSet([os.urandom(8) for _ in range(3000)])
            page = os.sysconf("SC_PAGE_SIZE")
            vm = int(open("/proc/self/statm").read().split()[0]) * page
            resource.setrlimit(resource.RLIMIT_AS, (vm + 64 * 2**20, resource.RLIM_INFINITY))
            try:
                tznr.match(a, b, 0.0, solver="none")
            except tznr.TznrMemoryError as e:
                assert isinstance(e, MemoryError) and e.code == tznr.CODES["TZNR_ENOMEM"]
                print("ENOMEM:", e.message)
            else:
                print("no error")
        """)
        if os.environ.get("LD_PRELOAD", "").find("asan") >= 0:
            self.skipTest("address-space limits do not apply under AddressSanitizer")
        r = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("ENOMEM: "), r.stdout + r.stderr)
        self.assertIn("out of memory", r.stdout)

    def test_ebufsize(self):
        a = tznr.ClkSet([b"\x01" * 8])
        b = tznr.ClkSet([b"\x01" * 16])
        with self.assertRaises(ValueError) as cm:
            tznr.match(a, b, 0.5)
        self.assertTznr(cm, tznr.BufferSizeError, "TZNR_EBUFSIZE", ValueError)
        with self.assertRaises(tznr.BufferSizeError):
            tznr.ClkSet([b"\x01" * 8, b"\x01" * 16])

    def test_eio(self):
        missing = self.path("no-such-schema.json")
        with self.assertRaises(OSError) as cm:
            tznr.Schema.from_file(missing)
        self.assertTznr(cm, tznr.TznrIOError, "TZNR_EIO", OSError, missing)
        with self.assertRaises(tznr.TznrIOError):
            self.enc.encode_csv(self.path("missing.csv"))
        with self.assertRaises(tznr.TznrIOError):
            tznr.ClkSet([b"\x00" * 8]).to_json(self.path("no-such-dir/out.json"))

    def test_eschema(self):
        with self.assertRaises(ValueError) as cm:
            tznr.Schema.from_json('{"version": 3, "clkConfig": {"l": 1024}, "features": []}')
        self.assertTznr(cm, tznr.SchemaError, "TZNR_ESCHEMA", ValueError, "features")
        with open(vec("schemas", "s1_example.a.json"), encoding="utf-8") as f:
            doc = json.load(f)
        doc["features"][1]["hashing"]["strategy"] = {"bitsPerToken": "illegalValue"}
        with self.assertRaises(tznr.SchemaError) as cm:
            tznr.Schema.from_json(doc)
        self.assertIn("features[1].hashing.strategy.bitsPerToken", cm.exception.message)
        with self.assertRaises(tznr.SchemaError):
            tznr.Schema.from_json("not json")

    def test_einput_records(self):
        rows = [["a01", "Jean", "Dupont", "1980-01-02", "M", "75011", "Paris"],
                ["a02", "Anne", "Martin", "1980-13-40", "F", "75011", "Paris"],
                ["a03", "Paul", "Durand", "1975-05-06", "M", "7501x", "Lyon"]]
        with self.assertRaises(ValueError) as cm:
            self.enc.encode(rows)
        self.assertTznr(cm, tznr.InputError, "TZNR_EINPUT", ValueError,
                        "record 1: column 'dob'", "record 2: column 'postcode'")
        with self.assertRaises(tznr.InputError) as cm:
            self.enc.encode_record(rows[1])
        self.assertIn("dob", cm.exception.message)

    def test_einput_csv(self):
        p = self.path("bad.csv")
        with open(p, "w", encoding="utf-8") as f:
            f.write("id,firstName,lastName,dob,gender,postcode,city\n"
                    "a01,Jean,Dupont,1980-01-02,M,75011,Paris\n"
                    "a02,Anne,Martin,2001-02-30,F,75011,Paris\n")
        with self.assertRaises(tznr.InputError) as cm:
            self.enc.encode_csv(p)
        self.assertTznr(cm, tznr.InputError, "TZNR_EINPUT", ValueError, "bad.csv:3", "dob")

    def test_einput_python_side(self):
        # checks made before the call are reported the same way
        with self.assertRaises(tznr.InputError) as cm:
            self.enc.encode([{"firstName": "x"}])
        self.assertIn("record 0", str(cm.exception))
        with self.assertRaises(tznr.InputError):
            self.enc.encode([["too", "short"]])
        with self.assertRaises(TypeError):
            self.enc.encode([["a", "b", "c", 1.5, "e", "f", "g"]])
        with self.assertRaises(TypeError):
            self.enc.encode(["a string is not a record"])

    def test_eformat(self):
        p = self.path("bad.json")
        with open(p, "w", encoding="utf-8") as f:
            f.write('{"clks": ["AAAAAAAAAAA=", "not base64!"]}')
        with self.assertRaises(ValueError) as cm:
            tznr.ClkSet.from_json(p)
        self.assertTznr(cm, tznr.FormatError, "TZNR_EFORMAT", ValueError, "clks[1]", p)
        with self.assertRaises(tznr.FormatError):
            tznr.ClkSet.from_base64(["AAAAAAAAAAA=", "***"])

    def test_eexist(self):
        p = self.path("out.json")
        s = tznr.ClkSet([b"\x00" * 8])
        s.to_json(p)
        with self.assertRaises(FileExistsError) as cm:
            s.to_json(p)
        self.assertTznr(cm, tznr.TznrFileExistsError, "TZNR_EEXIST", OSError, p)
        self.assertEqual(cm.exception.errno, 17)
        s.to_json(p, force=True)
        tznr.generate_secret_file(self.path("k"))
        with self.assertRaises(tznr.TznrFileExistsError):
            tznr.generate_secret_file(self.path("k"))

    def test_elimit(self):
        p = self.path("huge.key")
        with open(p, "w", encoding="ascii") as f:
            f.write("x" * (64 * 1024 + 1))
        with self.assertRaises(ValueError) as cm:
            tznr.Encoder.from_secret_file(self.schema, p)
        self.assertTznr(cm, tznr.LimitError, "TZNR_ELIMIT", ValueError)
        self.assertNotIn("xxxx", cm.exception.message)   # never the secret

    @unittest.skipUnless(_lib.available("tznr_encoder_encode_batch_opts"), "no progress API")
    def test_estate(self):
        # cancelled by the progress callback (called after 0.25 s: a long enough call)
        rows = [["a%d" % i, "Jean", "Dupont", "1980-01-02", "M", "75011", "Paris"]
                for i in range(50000)]
        with self.assertRaises(RuntimeError) as cm:
            self.enc.encode(rows, threads=1, memo="off", progress=lambda d, t: True)
        self.assertTznr(cm, tznr.StateError, "TZNR_ESTATE", RuntimeError, "cancel")

    @unittest.skipUnless(_lib.available("tznr_cpu_set_kernel"), "no kernel selection")
    def test_eunsupported(self):
        missing = [k for k in ("avx2", "avx512") if not tznr.cpu_kernel_supported(k)]
        if not missing:
            self.skipTest("this CPU runs every kernel: no unsupported one to ask for")
        with self.assertRaises(ValueError) as cm:
            tznr.set_cpu_kernel(missing[0])
        self.assertTznr(cm, tznr.UnsupportedError, "TZNR_EUNSUPPORTED", ValueError)

    def test_codes_without_a_failing_call_on_demand(self):
        # TZNR_ECRYPTO (an OpenSSL failure) cannot be provoked from outside, nor
        # TZNR_EUNSUPPORTED on a CPU that runs every kernel: check the mapping.
        for name, cls, builtin in (("TZNR_ESTATE", tznr.StateError, RuntimeError),
                                   ("TZNR_ECRYPTO", tznr.CryptoError, RuntimeError),
                                   ("TZNR_EUNSUPPORTED", tznr.UnsupportedError, ValueError)):
            code = tznr.CODES[name]
            generic = _lib.lib.tznr_strerror(code).decode()
            e = tznr._errors.error_from_status(code, "", generic)
            self.assertIs(type(e), cls)
            self.assertIsInstance(e, builtin)
            self.assertEqual(e.message, generic)
        e = tznr._errors.error_from_status(-999, "", "unknown error")
        self.assertIs(type(e), tznr.TznrError)
        self.assertEqual(e.code, -999)

    def test_every_code_has_a_class(self):
        for name, code in tznr.CODES.items():
            if code == 0:
                continue
            e = tznr._errors.error_from_status(code, "detail")
            self.assertEqual((e.code, e.name, e.message), (code, name, "detail"))
            self.assertIsNot(type(e), tznr.TznrError, name)


if __name__ == "__main__":
    unittest.main()
