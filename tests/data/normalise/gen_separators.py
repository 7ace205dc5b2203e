#!/usr/bin/env python3
"""Reference data for tests/test_normalise.c (separators_all): every code point that Python
counts as white space (str.isspace()) or as a dash (unicodedata category Pd). With
"separators": "space" each must become one U+0020 separator.

Written once with `python3 gen_separators.py > separators.tsv`; the test does not run Python.
(The minus sign U+2212 and the apostrophes are tznr decisions, listed in the test itself.)"""
import sys
import unicodedata

print(f"# Python {sys.version.split()[0]}, unicodedata {unicodedata.unidata_version}")
print("# code point<TAB>why (space = str.isspace(), Pd = dash punctuation)")
for cp in range(0x110000):
    c = chr(cp)
    if c.isspace():
        print(f"{cp:04X}\tspace")
    elif unicodedata.category(c) == "Pd":
        print(f"{cp:04X}\tPd")
