"""The binding itself: every exported function is declared with the C prototype of its
header, the loader and its search order, the version check, and the Python API's forms
(records as dicts or rows, filters as bytes, base64, JSON or numpy)."""
import base64
import ctypes
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import unittest

import tznr
from tznr import _lib
from _support import (SOURCE_ROOT, TempDirTestCase, expected_clks, read_secret, vec)

try:
    import numpy
except ImportError:
    numpy = None


def map_symbols():
    """The global symbols of src/libtznr.map (what libtznr.so exports; the `symbols` test
    checks the library against this list)."""
    with open(os.path.join(SOURCE_ROOT, "src", "libtznr.map"), encoding="utf-8") as f:
        text = f.read()
    names = set()
    for block in re.findall(r"global:(.*?)(?:local:|\})", text, re.S):
        names.update(re.findall(r"\b(tznr_\w+)\s*;", block))
    return names


def header_prototypes():
    """name -> (return type, [parameter types]) for every TZNR_API function of
    include/tznr/*.h, parsed from the headers (comments removed)."""
    d = os.path.join(SOURCE_ROOT, "include", "tznr")
    protos = {}
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".h"):
            continue
        with open(os.path.join(d, fn), encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        for m in re.finditer(r"TZNR_API\s+(?:TZNR_NODISCARD\s+)?([^;{}()]*?)\b(tznr_\w+)\s*"
                             r"\(([^)]*)\)\s*;", text):
            ret, name, params = m.group(1), m.group(2), m.group(3)
            plist = [] if params.strip() in ("", "void") else [p.strip()
                                                                for p in params.split(",")]
            protos[name] = (" ".join(ret.split()), [param_type(p) for p in plist])
    return protos


def param_type(decl: str) -> str:
    """'const char *const *values' -> 'const char *const *'; 'size_t n' -> 'size_t'."""
    decl = " ".join(decl.replace("*", " * ").split())
    decl = re.sub(r"\s*\[\s*\w*\s*\]$", " *", decl)        # arrays are pointers
    toks = decl.split(" ")
    if len(toks) > 1 and re.fullmatch(r"[A-Za-z_]\w*", toks[-1]) and toks[-1] not in (
            "int", "unsigned", "double", "float", "char", "size_t"):
        toks = toks[:-1]                                     # drop the parameter name
    return " ".join(toks).replace(" *", "*").replace("* ", "*")


SCALARS = {
    "size_t": ctypes.c_size_t, "uint64_t": ctypes.c_uint64, "int64_t": ctypes.c_int64,
    "uint32_t": ctypes.c_uint32, "int32_t": ctypes.c_int32, "uint8_t": ctypes.c_uint8,
    "double": ctypes.c_double, "float": ctypes.c_float, "int": ctypes.c_int,
    "unsigned": ctypes.c_uint, "unsigned int": ctypes.c_uint, "tznr_error_t": ctypes.c_int,
    "long": ctypes.c_long, "tznr_memo_mode": ctypes.c_int,
}
SCALARS.update(_lib.CALLBACKS)


def header_enums():
    """Names of the enum typedefs of include/tznr/*.h (passed as C int)."""
    d = os.path.join(SOURCE_ROOT, "include", "tznr")
    names = set()
    for fn in os.listdir(d):
        if fn.endswith(".h"):
            with open(os.path.join(d, fn), encoding="utf-8") as f:
                names.update(re.findall(r"typedef\s+enum\s+\w*\s*\{[^}]*\}\s*(\w+)\s*;",
                                        f.read()))
    return names


SCALARS.update({e: ctypes.c_int for e in header_enums()})


def ctypes_ok(ctype: str, declared) -> bool:
    """Whether the ctypes type *declared* fits the C type *ctype*."""
    base = ctype.replace("const", "").replace(" ", "")
    if base.count("*") == 0:
        want = SCALARS.get(ctype.replace("const ", "").strip())
        return want is not None and declared is want
    if base == "char*":
        return declared in (ctypes.c_char_p, ctypes.c_void_p)
    # a pointer: void* for buffers and handles, or POINTER(T) matching the pointee
    if declared is ctypes.c_void_p:
        return True
    pointee = getattr(declared, "_type_", None)
    if pointee is None:
        return False
    inner = base[:-1]
    if inner.endswith("*"):          # T** : a handle out-parameter
        return pointee is ctypes.c_void_p
    want = SCALARS.get(inner) or _lib.STRUCTS.get(inner)
    return want is not None and pointee is want


def header_structs():
    """C struct typedef name -> [(member type, member name)] from include/tznr/*.h."""
    d = os.path.join(SOURCE_ROOT, "include", "tznr")
    out = {}
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".h"):
            continue
        with open(os.path.join(d, fn), encoding="utf-8") as f:
            text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
        for m in re.finditer(r"typedef\s+struct\s+\w+\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
            members = []
            for decl in m.group(1).split(";"):
                decl = " ".join(decl.split())
                if decl:
                    t, name = decl.rsplit(" ", 1)
                    while name.startswith("*"):
                        t, name = t + "*", name[1:]
                    members.append((param_type(t + " x"), name))
            out[m.group(2)] = members
    return out


class TestDeclarations(unittest.TestCase):
    def test_every_exported_function_is_declared(self):
        exported = map_symbols()
        declared = set(_lib.PROTOTYPES)
        self.assertEqual(sorted(exported - declared), [], "exported but not declared in Python")
        self.assertEqual(sorted(declared - exported), [], "declared in Python but not exported")

    def test_every_declared_function_is_in_the_loaded_library(self):
        for name in _lib.PROTOTYPES:
            self.assertTrue(_lib.available(name), name)
            self.assertIsNotNone(getattr(_lib.lib, name).argtypes, name)

    def test_prototypes_match_the_headers(self):
        headers = header_prototypes()
        self.assertEqual(sorted(set(_lib.PROTOTYPES) - set(headers)), [])
        for name, (restype, argtypes) in _lib.PROTOTYPES.items():
            ret, params = headers[name]
            with self.subTest(function=name):
                self.assertEqual(len(argtypes), len(params), f"{name}: {params}")
                for i, (c, py) in enumerate(zip(params, argtypes)):
                    self.assertTrue(ctypes_ok(c, py), f"{name} parameter {i}: C {c!r}, "
                                                      f"ctypes {py}")
                if ret == "tznr_error_t":
                    self.assertIs(restype, _lib.STATUS)
                elif ret == "void":
                    self.assertIsNone(restype)
                else:
                    self.assertTrue(ctypes_ok(ret, restype), f"{name} returns {ret!r}")

    def test_structs_match_the_headers(self):
        headers = header_structs()
        for cname, st in _lib.STRUCTS.items():
            with self.subTest(struct=cname):
                self.assertIn(cname, headers)
                members = headers[cname]
                self.assertEqual([f[0] for f in st._fields_], [n for _, n in members])
                for (ctype, name), (_, py) in zip(members, st._fields_):
                    ok = ctypes_ok(ctype, py) or (ctype.endswith("char*")
                                                  and py is ctypes.c_char_p)
                    self.assertTrue(ok, f"{cname}.{name}: C {ctype!r}, ctypes {py}")

    def test_struct_sizes_from_the_library(self):
        # the init functions store sizeof(C struct) in the first member
        for init, st in (("tznr_encode_options_init", _lib.EncodeOptions),
                         ("tznr_match_options_init", _lib.MatchOptions)):
            if not _lib.available(init):
                continue
            o = st()
            getattr(_lib.lib, init)(ctypes.byref(o))
            self.assertEqual(o.size, ctypes.sizeof(st), init)

    def test_version(self):
        with open(os.path.join(SOURCE_ROOT, "meson.build"), encoding="utf-8") as f:
            project_version = re.search(r"version\s*:\s*'([0-9.]+)'", f.read()).group(1)
        self.assertEqual(tznr.library_version, project_version)
        major, minor, patch = map(int, project_version.split("."))
        self.assertEqual(tznr.library_version_number, major * 10000 + minor * 100 + patch)
        with open(os.path.join(SOURCE_ROOT, "bindings", "python", "pyproject.toml"),
                  encoding="utf-8") as f:
            py_version = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.M).group(1)
        self.assertEqual(py_version, tznr.__version__)
        self.assertEqual(tznr.__version__, project_version)


class TestLoader(TempDirTestCase):
    def run_py(self, code, env_update, cwd=None):
        env = {k: v for k, v in os.environ.items() if k not in ("TZNR_LIBRARY", "PYTHONPATH")}
        env.update(env_update)
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                              capture_output=True, text=True, cwd=cwd or self.tmp)

    def test_bad_tznr_library(self):
        r = self.run_py("import tznr", {"TZNR_LIBRARY": self.path("nope.so"),
                                        "PYTHONPATH": os.path.dirname(tznr.__path__[0])})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("TZNR_LIBRARY", r.stderr)
        self.assertIn("ImportError", r.stderr)

    def test_copy_next_to_the_package(self):
        pkg = self.path("site")
        shutil.copytree(tznr.__path__[0], os.path.join(pkg, "tznr"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(_lib.library_path, os.path.join(pkg, "tznr", "libtznr.so"))
        r = self.run_py("import tznr; print(tznr.library_path)", {"PYTHONPATH": pkg})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), os.path.join(pkg, "tznr", "libtznr.so"))
        # TZNR_LIBRARY comes first
        r = self.run_py("import tznr; print(tznr.library_path)",
                        {"PYTHONPATH": pkg, "TZNR_LIBRARY": _lib.library_path})
        self.assertEqual(r.stdout.strip(), _lib.library_path)

    def test_works_without_numpy(self):
        code = """
            import sys
            sys.modules["numpy"] = None          # import numpy now fails
            import tznr
            a = tznr.ClkSet([b"\\x0f" * 8, b"\\xff" * 8])
            r = tznr.match(a, a, 0.5)
            assert isinstance(r, list) and r[0] == (0, 0, 1.0), r
            try:
                a.to_numpy()
            except ImportError:
                print("ok")
        """
        r = self.run_py(code, {"TZNR_LIBRARY": _lib.library_path,
                               "PYTHONPATH": os.path.dirname(tznr.__path__[0])})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "ok")


class TestSchema(unittest.TestCase):
    def test_features(self):
        path = vec("schemas", "s3_mixed.a.json")
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        s = tznr.Schema.from_file(path)
        self.assertEqual(s.feature_names, tuple(x["identifier"] for x in doc["features"]))
        self.assertEqual([f.ignored for f in s.features],
                         [bool(x.get("ignored", False)) for x in doc["features"]])
        self.assertEqual(s.filter_bits, doc["clkConfig"]["l"])
        self.assertEqual(s.clk_bytes, doc["clkConfig"]["l"] // 8)

    def test_from_json_forms(self):
        path = vec("schemas", "s1_example.a.json")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        secret = read_secret("s1_example")
        want = expected_clks("s1_example.a")
        for src in (text, text.encode("utf-8"), json.loads(text)):
            s = tznr.Schema.from_json(src)
            self.assertEqual(list(tznr.Encoder(s, secret).encode_csv(
                vec("input", "people_a.csv"))), want)


class TestEncodeForms(unittest.TestCase):
    def setUp(self):
        self.schema = tznr.Schema.from_file(vec("schemas", "s1_example.a.json"))
        self.enc = tznr.Encoder(self.schema, read_secret("s1_example"))
        self.row = ["a01", "Jean", "Dupont", "1980-01-02", "M", "75011", "Paris"]
        self.ref = self.enc.encode([self.row])[0]

    def test_value_types(self):
        # ints are written in decimal, None is the empty string, bytes are UTF-8
        r = list(self.row)
        r[5] = 75011
        self.assertEqual(self.enc.encode([r]), [self.ref])
        r[1] = "Jean".encode("utf-8")
        self.assertEqual(self.enc.encode([r]), [self.ref])
        r2 = list(self.row)
        r2[4] = None
        r3 = list(self.row)
        r3[4] = ""
        self.assertEqual(self.enc.encode([r2]), self.enc.encode([r3]))
        self.assertEqual(self.enc.encode_record(r2), self.enc.encode_record(r3))

    def test_mapping_without_ignored_features(self):
        d = dict(zip(self.schema.feature_names, self.row))
        del d["id"], d["city"]
        d["extra column"] = "not read"
        self.assertEqual(self.enc.encode([d]), [self.ref])
        self.assertEqual(self.enc.encode_record(d), self.ref)

    def test_non_ascii_and_empty(self):
        rows = [["x", "Anaïs", "Lefèvre", "1990-02-03", "F", "29000", ""],
                ["y", "Ngọc Anh", "Nguyễn", "1990-02-03", "F", "29000", ""]]
        got = self.enc.encode(rows)
        self.assertEqual(got, [self.enc.encode_record(r) for r in rows])
        self.assertEqual(self.enc.encode([]), [])
        with self.assertRaises(tznr.InputError):
            self.enc.encode([["x", "\udcff", "B", "1990-02-03", "F", "29000", ""]])

    def test_clk_length(self):
        self.assertEqual(self.enc.clk_bytes, 128)
        self.assertEqual(len(self.ref), 128)

    def test_packing_paths_agree(self):
        # the NUL-separated fast path, and the general one (a NUL inside a value, ints,
        # dicts missing an ignored key, non-ASCII) give what the single-record call gives
        rows = [["x", "Jé\x00an", "Dupont", "1980-01-02", "M", "75011", ""],
                ["y", "Jean", "Dupont", "1980-01-02", "M", 75011, None],
                {"firstName": "Zoë", "lastName": "Ngọc", "dob": "1980-01-02", "gender": "F",
                 "postcode": "29000"},
                ("z", "", "Martin", "", "", "", "")]
        want = [self.enc.encode_record(r) for r in rows]
        self.assertEqual(self.enc.encode(rows), want)
        for r, w in zip(rows, want):
            self.assertEqual(self.enc.encode([r, r]), [w, w])

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_numpy_rows(self):
        arr = numpy.array([self.row, self.row], dtype=object)
        self.assertEqual(self.enc.encode(arr), [self.ref, self.ref])
        arr = numpy.array([self.row], dtype=str)
        self.assertEqual(self.enc.encode(arr), [self.ref])
        out = self.enc.encode([self.row] * 3, as_numpy=True)
        self.assertEqual(out.shape, (3, 128))
        self.assertEqual(out.dtype, numpy.uint8)
        self.assertEqual(out[2].tobytes(), self.ref)
        self.assertEqual(self.enc.encode([], as_numpy=True).shape, (0, 128))


class TestClkSet(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.want = expected_clks("s2_doublehash.a")
        self.s = tznr.ClkSet.from_json(vec("clks", "s2_doublehash.a.clks.json"))

    def test_sequence(self):
        self.assertEqual(len(self.s), 20)
        self.assertEqual(self.s.filter_bits, 1024)
        self.assertEqual(self.s.filter_bytes, 128)
        self.assertEqual(self.s[0], self.want[0])
        self.assertEqual(self.s[-1], self.want[-1])
        self.assertEqual(self.s[2:5], self.want[2:5])
        self.assertEqual(self.s[::-3], self.want[::-3])
        with self.assertRaises(IndexError):
            self.s[20]
        self.assertIn(self.want[3], self.s)
        self.assertEqual(self.s.to_bytes(), b"".join(self.want))
        self.assertEqual(tznr.ClkSet(self.want), self.s)
        self.assertEqual(tznr.ClkSet(bytearray(w) for w in self.want), self.s)
        self.assertEqual(tznr.ClkSet(memoryview(w) for w in self.want), self.s)

    def test_empty(self):
        e = tznr.ClkSet([], filter_bits=512)
        self.assertEqual((len(e), e.filter_bits), (0, 512))
        self.assertEqual(tznr.match(e, self.s, 0.5, as_numpy=False), [])
        p = self.path("empty.json")
        e.to_json(p)
        with open(p, encoding="utf-8") as f:
            self.assertEqual(json.load(f), {"clks": []})
        self.assertEqual(len(tznr.ClkSet.from_json(p)), 0)
        with self.assertRaises(ValueError):
            tznr.ClkSet([])

    def test_base64_and_json(self):
        b64 = [base64.b64encode(w).decode() for w in self.want]
        self.assertEqual(self.s.to_base64(), b64)
        self.assertEqual(tznr.ClkSet.from_base64(b64), self.s)
        self.assertEqual(tznr.ClkSet.from_dict({"clks": b64}), self.s)
        self.assertEqual(json.loads(json.dumps(self.s.to_dict())), {"clks": b64})
        with self.assertRaises(tznr.FormatError):
            tznr.ClkSet.from_dict({"cl": []})

    def test_write_is_atomic_and_forced(self):
        p = self.path("a.json")
        self.s.to_json(p)
        with self.assertRaises(FileExistsError):
            tznr.ClkSet(self.want[:2]).to_json(p)
        self.assertEqual(len(tznr.ClkSet.from_json(p)), 20)   # untouched
        tznr.ClkSet(self.want[:2]).to_json(p, force=True)
        self.assertEqual(len(tznr.ClkSet.from_json(p)), 2)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["a.json"])   # no temporary left

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_numpy(self):
        arr = self.s.to_numpy()
        self.assertEqual(arr.shape, (20, 128))
        self.assertEqual(arr.dtype, numpy.uint8)
        self.assertEqual(arr[3].tobytes(), self.want[3])
        self.assertEqual(tznr.ClkSet(arr), self.s)
        self.assertEqual(tznr.dice(arr[0], arr[1]), tznr.dice(self.want[0], self.want[1]))
        self.assertEqual(tznr.popcount(arr[5]), tznr.popcount(self.want[5]))
        b = tznr.ClkSet.from_json(vec("clks", "s2_doublehash.b.clks.json"))
        links = tznr.match(arr, b, 0.7)
        self.assertEqual(links.dtype.names, ("a_index", "b_index", "score"))
        self.assertEqual([tuple(x) for x in links.tolist()],
                         [tuple(x) for x in tznr.match(self.s, b, 0.7, as_numpy=False)])
        self.assertEqual(tznr.greedy_solve(tznr.match(arr, b, 0.7, solver="none")).tolist(),
                         links.tolist())
        self.assertEqual(tznr.topk(arr[0], b.to_numpy(), 3), tznr.topk(self.want[0], b, 3))


class TestLinksAndSecrets(TempDirTestCase):
    def test_write_links_csv(self):
        a = tznr.ClkSet.from_json(vec("clks", "s1_example.a.clks.json"))
        b = tznr.ClkSet.from_json(vec("clks", "s1_example.b.clks.json"))
        links = tznr.match(a, b, 0.7, as_numpy=False)
        p = self.path("links.csv")
        tznr.write_links_csv(links, p)
        with open(p, encoding="ascii") as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "a_index,b_index,score")
        back = [(int(x), int(y), float(z)) for x, y, z in (ln.split(",") for ln in lines[1:])]
        self.assertEqual(back, [tuple(x) for x in links])
        tznr.write_links_csv(list(reversed(links)), p, force=True, sort=True)
        with open(p, encoding="ascii") as f:
            self.assertEqual(f.read().splitlines(), lines)

    def test_generate_secret(self):
        s1, s2 = tznr.generate_secret(), tznr.generate_secret()
        self.assertEqual(len(s1), 44)
        self.assertEqual(len(base64.b64decode(s1, validate=True)), 32)
        self.assertNotEqual(s1, s2)

    def test_generate_secret_file(self):
        p = self.path("shared.key")
        tznr.generate_secret_file(p)
        self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600)
        with open(p, encoding="ascii") as f:
            text = f.read()
        self.assertEqual(len(text), 45)
        self.assertTrue(text.endswith("\n"))
        schema = tznr.Schema.from_file(vec("schemas", "s1_example.a.json"))
        # the library strips the newline: the same keys as the text given directly
        e1 = tznr.Encoder.from_secret_file(schema, p)
        e2 = tznr.Encoder(schema, text.rstrip("\n"))
        self.assertEqual(list(e1.encode_csv(vec("input", "people_a.csv"))),
                         list(e2.encode_csv(vec("input", "people_a.csv"))))
        with self.assertRaises(tznr.InvalidArgumentError):
            tznr.generate_secret_file("-")


if __name__ == "__main__":
    unittest.main()
