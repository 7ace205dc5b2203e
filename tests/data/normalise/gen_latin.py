#!/usr/bin/env python3
"""Reference data for tests/test_normalise.c (latin_letters): for every letter (category L*)
of Latin-1 Supplement (U+0080-U+00FF), Latin Extended-A (U+0100-U+017F), Latin Extended-B
(U+0180-U+024F) and Latin Extended Additional (U+1E00-U+1EFF), the text that Python's
unicodedata gives for NFKD, then every code point of category Mn dropped, then str.upper().

Written once with `python3 gen_latin.py > latin_letters.tsv` (the Python and Unicode
versions are in the file's header); the test does not run Python. tznr's "strip-accents" +
"upper" differs from this reference only where the test says: Æ and Œ in the result (from
U+00C6/E6, U+0152/53, and U+01E2/E3, U+01FC/FD, which NFKD turns into Æ/æ + a mark) are
written AE and OE, and U+1E9E (capital sharp s, kept by Python's upper()) is SS, because tznr
upper-cases the case-folded text."""
import sys
import unicodedata

RANGES = [(0x80, 0xFF), (0x100, 0x17F), (0x180, 0x24F), (0x1E00, 0x1EFF)]

print(f"# Python {sys.version.split()[0]}, unicodedata {unicodedata.unidata_version}")
print("# code point<TAB>expected code points (hex, space-separated): "
      "upper(drop Mn(NFKD(c)))")
for lo, hi in RANGES:
    for cp in range(lo, hi + 1):
        c = chr(cp)
        if not unicodedata.category(c).startswith("L"):
            continue
        d = unicodedata.normalize("NFKD", c)
        d = "".join(x for x in d if unicodedata.category(x) != "Mn")
        u = d.upper()
        print(f"{cp:04X}\t{' '.join(f'{ord(x):04X}' for x in u)}")
