"""Privacy audit of shared encodings (audit.h, docs/privacy.md): what the Bloom filters
alone reveal to whoever holds them, without the secret."""
from __future__ import annotations

from ctypes import c_uint64
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _lib as _L
from ._core import ClkSet, PathLike, _Handle, _new_handle, _path, _Use
from ._linkage import Container

_lib = _L.lib

__all__ = ["Audit", "audit", "AUDIT_TOP", "AUDIT_LOW_CARDINALITY"]

#: ``TZNR_AUDIT_TOP``: how many of a field's most frequent filters have their counts reported.
AUDIT_TOP = 10
#: ``TZNR_AUDIT_LOW_CARDINALITY``: a field with at most this many distinct filters is exposed.
AUDIT_LOW_CARDINALITY = 100

# tznr_audit_stat_t / tznr_audit_field_stat_t, in header order
_STATS = ("records", "filter_bits", "popcount_min", "popcount_max", "popcount_mean",
          "popcount_sd", "bitfreq_min", "bitfreq_max", "bitfreq_mean", "bitfreq_sd",
          "bits_never_set", "bits_always_set", "distinct", "shared_2", "shared_5",
          "shared_10", "largest_class")
_FIELD_STATS = ("distinct", "top_share", "normalised_entropy", "empty",
                "distinguishable_top", "exposed")
_WHOLE = {"records", "filter_bits", "popcount_min", "popcount_max", "bits_never_set",
          "bits_always_set", "distinct", "shared_2", "shared_5", "shared_10", "largest_class",
          "empty", "distinguishable_top"}


def _num(name: str, v: float) -> Union[int, float]:
    return int(v) if name in _WHOLE else float(v)


class Audit(_Handle):
    """Result of :func:`audit` (``tznr_audit_t``): bit-level, duplicate and (for a
    container) field-level measures. Made by :func:`audit`, never directly."""

    def __init__(self) -> None:
        raise TypeError("Audit objects are made with tznr.audit()")

    @classmethod
    def _wrap(cls, ptr: int) -> "Audit":
        self = cls.__new__(cls)
        self._own(ptr, _lib.tznr_audit_free)
        return self

    @property
    def stats(self) -> Dict[str, Union[int, float]]:
        """The whole-set measures by name (``records``, ``popcount_mean``, ``shared_2``...);
        shares are in 0..1, standard deviations are population ones."""
        with _Use(self._res) as p:
            return {n: _num(n, _lib.tznr_audit_stat(p, i)) for i, n in enumerate(_STATS)}

    @property
    def class_sizes(self) -> List[Tuple[int, int]]:
        """``(size, number of classes)`` of the classes of identical filters, sizes increasing."""
        with _Use(self._res) as p:
            n = _lib.tznr_audit_class_sizes(p, None, None, 0)
            sizes, counts = (c_uint64 * n)(), (c_uint64 * n)()
            _lib.tznr_audit_class_sizes(p, sizes, counts, n)
            return [(int(sizes[i]), int(counts[i])) for i in range(n)]

    @property
    def fields(self) -> List[Dict[str, Any]]:
        """Per field of a container (empty for a CLK file): ``name``, ``distinct``,
        ``top_share``, ``normalised_entropy``, ``empty``, ``distinguishable_top``,
        ``exposed`` (bool) and ``top_counts`` (never the filters themselves)."""
        out: List[Dict[str, Any]] = []
        with _Use(self._res) as p:
            for f in range(_lib.tznr_audit_field_count(p)):
                d: Dict[str, Any] = {"name": _lib.tznr_audit_field_name(p, f).decode("utf-8")}
                for i, n in enumerate(_FIELD_STATS):
                    d[n] = _num(n, _lib.tznr_audit_field_stat(p, f, i))
                d["exposed"] = bool(d["exposed"])
                buf = (c_uint64 * AUDIT_TOP)()
                k = _lib.tznr_audit_field_top(p, f, buf, AUDIT_TOP)
                d["top_counts"] = [int(buf[i]) for i in range(k)]
                out.append(d)
        return out

    def write_json(self, path: PathLike, *, force: bool = False) -> None:
        """Write the JSON report atomically (``"-"``: standard output).

        Raises:
            TznrFileExistsError: *path* exists and *force* is false.
            TznrIOError: write failure (nothing is left at *path*).
        """
        with _Use(self._res) as p:
            _lib.tznr_audit_write_json(p, _path(path), 1 if force else 0)

    def __repr__(self) -> str:
        s = self.stats
        return f"<tznr.Audit {s['records']} records of {s['filter_bits']} bits>"


def audit(source: Union[PathLike, ClkSet, Container],
          report: Optional[PathLike] = None, *, force: bool = False) -> Audit:
    """Audit shared encodings: a CLK JSON file or container file (path, ``"-"`` for standard
    input), a :class:`ClkSet` or a :class:`Container`. With *report*, also write the JSON
    report there. See docs/privacy.md for the measures and their interpretation.

    Raises:
        FormatError: a malformed file, or one without any record (the message names it).
        TznrIOError: the file cannot be read or the report cannot be written.
        InvalidArgumentError: an empty set or container.
    """
    if isinstance(source, ClkSet):
        fn = _L.require("tznr_audit_new_from_clkset", "tznr.audit()")
        with _Use(source._res) as sp:
            a = Audit._wrap(_new_handle(fn, sp))
    elif isinstance(source, Container):
        fn = _L.require("tznr_audit_new_from_container", "tznr.audit()")
        with _Use(source._res) as sp:
            a = Audit._wrap(_new_handle(fn, sp))
    else:
        fn = _L.require("tznr_audit_new_from_file", "tznr.audit()")
        a = Audit._wrap(_new_handle(fn, _path(source)))
    if report is not None:
        a.write_json(report, force=force)
    return a

