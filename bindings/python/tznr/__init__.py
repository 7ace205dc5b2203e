"""tznr: privacy-preserving record linkage (PPRL) from Python.

Data custodians encode their records into keyed Bloom filters (CLKs, byte-compatible with
clkhash 0.18) from a shared linkage schema and a shared secret; a linkage unit, which never
holds the secret, compares the CLKs with the Dice coefficient and makes 1:1 links.

This package is a thin, pure-Python layer (ctypes) over the C library ``libtznr``, found
through ``TZNR_LIBRARY``, a copy next to the package, or the system's library path.

Data custodian::

    import tznr
    schema = tznr.Schema.from_file("schema.json")
    with tznr.Encoder.from_secret_file(schema, "shared.key") as enc:
        clks = enc.encode([{"given_name": "michaela", ...}, ...])   # list of bytes
        enc.encode_csv("a.csv").to_json("a.clks.json")               # clkhash JSON

Linkage unit::

    a = tznr.ClkSet.from_json("a.clks.json")
    b = tznr.ClkSet.from_json("b.clks.json")
    links = tznr.match(a, b, threshold=0.8)          # (a_index, b_index, score) rows

Failures raise :class:`TznrError` subclasses that also derive from the matching builtin
(``ValueError``, ``OSError``, ``MemoryError``...). Objects owning C memory (:class:`Schema`,
:class:`Encoder`, :class:`ClkSet`) free it on :meth:`close`, at the end of a ``with`` block,
or when garbage-collected. See docs/python.md.
"""
from __future__ import annotations

from . import _lib
from ._core import (LINK_DTYPE, LSH_DEFAULT_SEED, SECRET_TEXT_SIZE, ClkSet, Encoder, Feature,
                    Link, LshIndex, MatchStats, Schema, cpu_kernel, cpu_kernel_supported, dice,
                    generate_secret, generate_secret_file, greedy_solve, lsh_agreement_bound,
                    lsh_candidate_probability, match, match_stream, popcount, set_cpu_kernel,
                    topk, write_links_csv)
from ._linkage import (FS_MAX_LEVELS, FS_MISSING, Container, ContainerRecord, EmResult,
                       FsModel, FsPatterns, LinkColumn, Linker, LinkResult, LinkStats,
                       ProbLink, compare_records, link_columns, prior_from_rule)
from ._audit import AUDIT_LOW_CARDINALITY, AUDIT_TOP, Audit, audit
from ._errors import (CODES, BufferSizeError, CryptoError, FormatError, InputError,
                      InvalidArgumentError, LimitError, SchemaError, StateError,
                      TznrError, TznrFileExistsError, TznrIOError, TznrMemoryError,
                      UnsupportedError)

__version__ = "0.1.0"

#: Version of the loaded C library, e.g. ``"0.1.0"``.
library_version: str = _lib.version_string
#: Version of the loaded C library as MAJOR*10000 + MINOR*100 + PATCH.
library_version_number: int = _lib.version_number
#: Path (or name) the C library was loaded from.
library_path: str = _lib.library_path

__all__ = [
    "audit", "Audit", "AUDIT_TOP", "AUDIT_LOW_CARDINALITY",
    "Schema", "Feature", "Encoder", "ClkSet", "Link", "LINK_DTYPE", "dice", "popcount",
    "topk", "match", "match_stream", "MatchStats", "greedy_solve", "write_links_csv",
    "LshIndex", "LSH_DEFAULT_SEED", "lsh_candidate_probability", "lsh_agreement_bound",
    "cpu_kernel", "cpu_kernel_supported", "set_cpu_kernel", "generate_secret",
    "generate_secret_file", "SECRET_TEXT_SIZE",
    "Container", "ContainerRecord", "FsModel", "FsPatterns", "EmResult", "FS_MISSING",
    "FS_MAX_LEVELS", "prior_from_rule", "Linker", "LinkResult", "ProbLink", "LinkStats",
    "compare_records", "LinkColumn", "link_columns",
    "TznrError", "InvalidArgumentError", "TznrMemoryError", "BufferSizeError", "StateError",
    "CryptoError", "UnsupportedError", "TznrIOError", "SchemaError", "InputError",
    "FormatError", "TznrFileExistsError", "LimitError", "CODES",
    "library_version", "library_version_number", "library_path", "__version__",
]
