"""Probabilistic linkage on native containers: containers (container.h), the
Fellegi–Sunter model (fs.h) and the linker (link.h)."""
from __future__ import annotations

import ctypes
from ctypes import byref, c_double, c_int, c_size_t, c_uint, c_uint64, c_void_p
from typing import Any, Callable, List, NamedTuple, Optional, Sequence, Tuple

from . import _lib as _L
from ._core import (BytesLike, ClkSet, PathLike, Schema, _Handle, _in_buf, _new_handle,
                    _path, _Progress, _reraise, _Resource, _Use)

_lib = _L.lib

__all__ = ["Container", "ContainerRecord", "FS_MISSING", "FsModel", "FsPatterns", "EmResult",
           "prior_from_rule", "Linker", "LinkResult", "ProbLink", "LinkStats",
           "compare_records", "LinkColumn", "link_columns"]

#: Comparison-vector entry of a field missing on either side (``TZNR_FS_MISSING``); the
#: Python API also accepts and returns None for it.
FS_MISSING = 255
#: Most comparison levels a field may have (missing not counted).
FS_MAX_LEVELS = 16

Gamma = Sequence[Optional[int]]


def _gamma_buf(gamma: Gamma, n: int) -> Any:
    if len(gamma) != n:
        raise ValueError(f"a comparison vector of {len(gamma)} entries; the model has {n} fields")
    return (ctypes.c_uint8 * n)(*(FS_MISSING if g is None else g for g in gamma))


# --------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------

class ContainerRecord(NamedTuple):
    """One record of a container."""
    id: str
    """The custodian's own record key (from the schema's ``linkage.idColumn``)."""
    fields: Tuple[bytes, ...]
    """One field-level Bloom filter per compared field."""
    clk: bytes
    """The record's CLK."""


class Container(_Handle):
    """A native encoded container (``.tznr``, docs/format.md): record identifiers, one
    field-level filter per compared field and each record's CLK, with the schema's
    fingerprint. What a custodian sends to the linkage unit for probabilistic linkage.

    ``Container(schema)`` makes an empty one laid out from a schema (the compared fields in
    schema order); :meth:`read` loads and verifies a file. Reading is safe from several
    threads; :meth:`append` needs exclusive use (it raises RuntimeError while another call
    uses the container).

    Raises:
        InvalidArgumentError: the schema has no compared field.
    """

    def __init__(self, schema: Schema) -> None:
        fn = _L.require("tznr_container_new", "Container")
        with _Use(schema._res) as sp:
            self._own(_new_handle(fn, sp), _lib.tznr_container_free)

    @classmethod
    def _wrap(cls, ptr: int) -> "Container":
        self = cls.__new__(cls)
        self._own(ptr, _lib.tznr_container_free)
        return self

    @classmethod
    def read(cls, path: PathLike) -> "Container":
        """Read and verify a container file (magic, version, header, sizes, identifiers,
        SHA-256 checksum); ``"-"`` is standard input.

        Raises:
            TznrIOError: the file cannot be read.
            FormatError: malformed, truncated, corrupted or of another major version (the
                message names the file and what is wrong).
            LimitError: larger than 16 GiB.
        """
        fn = _L.require("tznr_container_read", "Container.read()")
        return cls._wrap(_new_handle(fn, _path(path)))

    def write(self, path: PathLike, *, force: bool = False) -> None:
        """Write the container atomically (``"-"``: standard output).

        Raises:
            TznrFileExistsError: *path* exists and *force* is false.
            TznrIOError: write failure (nothing is left at *path*).
        """
        with _Use(self._res) as p:
            _lib.tznr_container_write(p, _path(path), 1 if force else 0)

    def append(self, id: str, fields: Sequence[BytesLike], clk: BytesLike) -> None:
        """Append one record: its identifier (UTF-8, at most 1024 bytes), its
        :attr:`field_count` field filters of :attr:`field_bits` bits, and its CLK.

        Raises:
            InvalidArgumentError: invalid or over-long identifier.
            BufferSizeError: a filter of the wrong length.
            RuntimeError: another thread is using the container.
        """
        idb = id.encode("utf-8")
        packed = b"".join(bytes(memoryview(f)) for f in fields)  # type: ignore[arg-type]
        cb, cn = _in_buf(clk)
        with self._res.exclusive() as p:
            _lib.tznr_container_append(p, idb, len(idb), packed, len(packed), cb, cn)

    def _get(self, name: str, *args: Any) -> Any:
        with _Use(self._res) as p:
            return getattr(_lib, name)(p, *args)

    def __len__(self) -> int:
        return int(self._get("tznr_container_count"))

    @property
    def field_count(self) -> int:
        """Field-level filters per record."""
        return int(self._get("tznr_container_field_count"))

    @property
    def field_names(self) -> Tuple[str, ...]:
        """Names of the compared fields, in schema order."""
        with _Use(self._res) as p:
            n = _lib.tznr_container_field_count(p)
            return tuple(_lib.tznr_container_field_name(p, i).decode("utf-8") for i in range(n))

    @property
    def field_groups(self) -> Tuple[Optional[str], ...]:
        """Linkage group of each field (schema ``features[i].linkage.group``), None for a
        field in no group. The fields of a group are one comparison: see
        :func:`link_columns`."""
        fn = _L.require("tznr_container_field_group", "Container.field_groups")
        with _Use(self._res) as p:
            out = []
            for i in range(_lib.tznr_container_field_count(p)):
                g = fn(p, i)
                out.append(None if g is None else g.decode("utf-8"))
            return tuple(out)

    @property
    def field_bits(self) -> int:
        """Bits of each field-level filter."""
        return int(self._get("tznr_container_field_bits"))

    @property
    def clk_bits(self) -> int:
        """Bits of each CLK."""
        return int(self._get("tznr_container_clk_bits"))

    def field_levels(self, field: int) -> Tuple[float, ...]:
        """Comparison-level Dice thresholds of field *field* (decreasing), as in the schema."""
        with _Use(self._res) as p:
            n = _lib.tznr_container_field_levels(p, field, None, 0)
            buf = (c_double * max(n, 1))()
            n = _lib.tznr_container_field_levels(p, field, buf, n)
            return tuple(buf[:n])

    @property
    def fingerprint(self) -> bytes:
        """SHA-256 fingerprint (32 bytes) of the schema the container was made with."""
        out = ctypes.create_string_buffer(32)
        with _Use(self._res) as p:
            _lib.tznr_container_fingerprint(p, out, 32)
        return out.raw

    def _check_row(self, r: int, n: int) -> int:
        if r < 0:
            r += n
        if not 0 <= r < n:
            raise IndexError("Container index out of range")
        return r

    def id(self, r: int) -> str:
        """Identifier of record *r*."""
        ln = c_size_t()
        with _Use(self._res) as p:
            r = self._check_row(r, _lib.tznr_container_count(p))
            ptr = _lib.tznr_container_id(p, r, byref(ln))
            return ctypes.string_at(ptr, ln.value).decode("utf-8")

    @property
    def ids(self) -> List[str]:
        """Identifiers of every record, in row order."""
        return [self.id(r) for r in range(len(self))]

    def __getitem__(self, r: int) -> ContainerRecord:
        ln = c_size_t()
        with _Use(self._res) as p:
            r = self._check_row(int(r), _lib.tznr_container_count(p))
            rid = ctypes.string_at(_lib.tznr_container_id(p, r, byref(ln)), ln.value)
            nf = _lib.tznr_container_field_count(p)
            fb = _lib.tznr_container_field_bits(p) // 8
            fields = tuple(ctypes.string_at(_lib.tznr_container_field_filter(p, r, f), fb)
                           for f in range(nf))
            clk = ctypes.string_at(_lib.tznr_container_clk(p, r),
                                   _lib.tznr_container_clk_bits(p) // 8)
        return ContainerRecord(rid.decode("utf-8"), fields, clk)

    def clks(self) -> ClkSet:
        """The CLKs, copied into a :class:`ClkSet` (for Dice matching or blocking)."""
        out = c_void_p()
        with _Use(self._res) as p:
            _lib.tznr_container_clks(p, byref(out))
        return ClkSet._wrap(out.value)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        if self.closed:
            return "<tznr.Container closed>"
        return f"<tznr.Container {len(self)} records, fields {', '.join(self.field_names)}>"


# --------------------------------------------------------------------------------------
# Fellegi–Sunter model
# --------------------------------------------------------------------------------------

class EmResult(NamedTuple):
    """Outcome of an EM run."""
    iterations: int
    """Iterations run."""
    last_change: float
    """Largest parameter change in the last iteration."""
    converged: bool
    """True only if the change fell below the tolerance (never claimed otherwise)."""


class FsModel(_Handle):
    """A Fellegi–Sunter model: the prior lambda and, per field and comparison level, the
    probabilities m (given a match) and u (given a non-match); see fs.h.

    ``FsModel(levels)``: *levels* gives each field's level count (2..16, missing not
    counted); the starting values are the library's defaults. Reading is safe from several
    threads; setters and :meth:`em` need exclusive use.
    """

    def __init__(self, levels: Sequence[int]) -> None:
        fn = _L.require("tznr_fs_model_new", "FsModel")
        n = len(levels)
        buf = (ctypes.c_uint8 * max(n, 1))(*levels)
        self._own(_new_handle(fn, n, buf), _lib.tznr_fs_model_free)

    @classmethod
    def _borrow(cls, ptr: int, owner: _Resource) -> "FsModel":
        self = cls.__new__(cls)
        self._own(ptr, lambda p: None, parents=(owner,))   # freed with its owner
        return self

    def _get(self, name: str, *args: Any) -> Any:
        with _Use(self._res) as p:
            return getattr(_lib, name)(p, *args)

    @property
    def levels(self) -> Tuple[int, ...]:
        """Level count of each field (missing not counted)."""
        with _Use(self._res) as p:
            return tuple(int(_lib.tznr_fs_model_levels(p, f))
                         for f in range(_lib.tznr_fs_model_fields(p)))

    @property
    def fields(self) -> int:
        """Number of fields."""
        return int(self._get("tznr_fs_model_fields"))

    def _split(self, flat: Sequence[float]) -> List[List[float]]:
        out, i = [], 0
        for n in self.levels:
            out.append(list(flat[i:i + n]))
            i += n
        return out

    @property
    def params(self) -> Tuple[float, List[List[float]], List[List[float]]]:
        """``(lambda, m, u)``, m and u as one list of probabilities per field."""
        total = sum(self.levels)
        lam, m, u = c_double(), (c_double * total)(), (c_double * total)()
        with _Use(self._res) as p:
            _lib.tznr_fs_model_get_params(p, byref(lam), m, u)
        return lam.value, self._split(list(m)), self._split(list(u))

    def set_params(self, lambda_: float, m: Optional[Sequence[Sequence[float]]] = None,
                   u: Optional[Sequence[Sequence[float]]] = None) -> None:
        """Set lambda and (optionally) m and u, one list per field. Values must lie strictly
        inside (0, 1) and each field's m (and u) sum to 1 within 1e-6.

        Raises:
            InvalidArgumentError: a value out of range (the message names field and level).
        """
        levels = self.levels

        def flat(x: Optional[Sequence[Sequence[float]]]) -> Any:
            if x is None:
                return None
            if [len(f) for f in x] != list(levels):
                raise ValueError(f"expected {list(levels)} probabilities per field")
            v = [float(p) for f in x for p in f]
            return (c_double * len(v))(*v)
        with _Use(self._res) as p:
            _lib.tznr_fs_model_set_params(p, float(lambda_), flat(m), flat(u))

    def fix(self, m: bool = False, u: bool = False) -> None:
        """Keep m and/or u fixed during EM (lambda is always estimated)."""
        with _Use(self._res) as p:
            _lib.tznr_fs_model_fix(p, 1 if m else 0, 1 if u else 0)

    def informative(self, field: int) -> bool:
        """Whether field *field* carried information in the last EM run (False when all its
        non-missing comparisons fell in one level: its weight is about 0)."""
        r = self._get("tznr_fs_model_field_informative", field)
        if r < 0:
            raise IndexError("field out of range")
        return bool(r == 1)

    def level_weight(self, field: int, level: Optional[int]) -> float:
        """Match weight log2(m/u) of one level of one field, in bits (0 for missing)."""
        out = c_double()
        with _Use(self._res) as p:
            _lib.tznr_fs_level_weight(byref(out), p, field,
                                      FS_MISSING if level is None else level)
        return out.value

    def score(self, gamma: Gamma) -> Tuple[float, float, List[float]]:
        """``(weight, probability, contributions)`` of a comparison vector: the match weight
        in bits (posterior log2 odds), the match probability in [0, 1], and each field's
        log2(m/u). None (or :data:`FS_MISSING`) marks a missing field (weight 0)."""
        n = self.fields
        g = _gamma_buf(gamma, n)
        w, pr, contrib = c_double(), c_double(), (c_double * n)()
        with _Use(self._res) as p:
            _lib.tznr_fs_score(byref(w), byref(pr), contrib, p, g)
        return w.value, pr.value, list(contrib)

    def em(self, patterns: "FsPatterns", *, max_iterations: int = 1000,
           tolerance: float = 1e-6) -> EmResult:
        """Estimate lambda (and m, u unless fixed) by EM on the pattern counts, starting from
        the current parameters.

        Raises:
            InvalidArgumentError: empty table, bad options, or a level out of range.
        """
        it, ch, conv = c_uint(), c_double(), c_int()
        with self._res.exclusive() as p, _Use(patterns._res) as pp:
            _lib.tznr_fs_em(p, pp, max_iterations, tolerance, byref(it), byref(ch), byref(conv))
        return EmResult(it.value, ch.value, bool(conv.value))

    def __repr__(self) -> str:
        return "<tznr.FsModel closed>" if self.closed else f"<tznr.FsModel levels={self.levels}>"


class FsPatterns(_Handle):
    """Counts of distinct comparison vectors (what EM runs on).

    ``FsPatterns(n_fields)``; :meth:`add` needs exclusive use."""

    def __init__(self, n_fields: int) -> None:
        fn = _L.require("tznr_fs_patterns_new", "FsPatterns")
        self._own(_new_handle(fn, n_fields), _lib.tznr_fs_patterns_free)
        self._n = n_fields

    def add(self, gamma: Gamma, count: int = 1) -> None:
        """Add *count* pairs with comparison vector *gamma* (None = missing).

        Raises:
            LimitError: the total would overflow 64 bits.
        """
        g = _gamma_buf(gamma, self._n)
        with self._res.exclusive() as p:
            _lib.tznr_fs_patterns_add(p, g, count)

    @property
    def distinct(self) -> int:
        """Number of distinct vectors."""
        with _Use(self._res) as p:
            return int(_lib.tznr_fs_patterns_distinct(p))

    @property
    def total(self) -> int:
        """Number of pairs added."""
        with _Use(self._res) as p:
            return int(_lib.tznr_fs_patterns_total(p))


def prior_from_rule(rule_pairs: int, recall: float, total_pairs: int) -> float:
    """Prior match probability ``rule_pairs / recall / total_pairs`` from a deterministic
    rule and its assumed recall (Splink's estimate).

    Raises:
        InvalidArgumentError: recall outside (0, 1], no pair matched, or an estimate >= 1
            (the message gives the minimum consistent recall).
    """
    out = c_double()
    _L.require("tznr_fs_prior_from_rule", "prior_from_rule()")(byref(out), rule_pairs,
                                                               float(recall), total_pairs)
    return out.value


# --------------------------------------------------------------------------------------
# Linker
# --------------------------------------------------------------------------------------

class ProbLink(NamedTuple):
    """One link of a probabilistic linkage."""
    a_row: int
    """Row in A."""
    b_row: int
    """Row in B (in A for a deduplication)."""
    probability: float
    """Match probability."""
    weight: float
    """Match weight in bits."""


class LinkStats(NamedTuple):
    """EM convergence and run statistics of a :class:`LinkResult`."""
    iterations: int
    last_change: float
    converged: bool
    pairs: int
    """Candidate pairs compared."""
    patterns: int
    """Distinct comparison vectors."""


class LinkResult(_Handle):
    """Result of :meth:`Linker.link` or :meth:`Linker.dedupe` (read-only)."""

    def __init__(self) -> None:
        raise TypeError("LinkResult objects are made by Linker.link() and Linker.dedupe()")

    @classmethod
    def _wrap(cls, ptr: int) -> "LinkResult":
        self = cls.__new__(cls)
        self._own(ptr, _lib.tznr_link_result_free)
        return self

    @property
    def links(self) -> List[ProbLink]:
        """The links, by match probability descending, then weight, then a row, b row."""
        a, b, pr, w = c_uint64(), c_uint64(), c_double(), c_double()
        out = []
        with _Use(self._res) as p:
            for i in range(_lib.tznr_link_result_count(p)):
                _lib.tznr_link_result_get(p, i, byref(a), byref(b), byref(pr), byref(w))
                out.append(ProbLink(a.value, b.value, pr.value, w.value))
        return out

    def __len__(self) -> int:
        with _Use(self._res) as p:
            return int(_lib.tznr_link_result_count(p))

    @property
    def model(self) -> FsModel:
        """The fitted model (kept alive by this result)."""
        with _Use(self._res) as p:
            ptr = _lib.tznr_link_result_model(p)
        return FsModel._borrow(ptr, self._res)

    @property
    def stats(self) -> LinkStats:
        """EM convergence and counts."""
        it, ch, conv, pairs, pats = c_uint(), c_double(), c_int(), c_uint64(), c_uint64()
        with _Use(self._res) as p:
            _lib.tznr_link_result_stats(p, byref(it), byref(ch), byref(conv), byref(pairs),
                                        byref(pats))
        return LinkStats(it.value, ch.value, bool(conv.value), pairs.value, pats.value)

    @property
    def estimates(self) -> Tuple[float, float]:
        """``(precision, recall)`` estimated from the posteriors alone (no truth needed)."""
        pr, rc = c_double(), c_double()
        with _Use(self._res) as p:
            _lib.tznr_link_result_estimates(p, byref(pr), byref(rc))
        return pr.value, rc.value

    def cluster(self, row: int) -> Optional[int]:
        """Representative row of *row*'s cluster (deduplication only), else None."""
        with _Use(self._res) as p:
            r = int(_lib.tznr_link_result_cluster(p, row))
        return None if r == 2**64 - 1 else r

    def write_links(self, path: PathLike, *, force: bool = False) -> None:
        """CSV ``a_id,b_id,match_probability,match_weight``, atomically."""
        with _Use(self._res) as p:
            _lib.tznr_link_result_write_links(p, _path(path), 1 if force else 0)

    def write_clusters(self, path: PathLike, *, force: bool = False) -> None:
        """CSV ``id,cluster_id`` of a deduplication, atomically."""
        with _Use(self._res) as p:
            _lib.tznr_link_result_write_clusters(p, _path(path), 1 if force else 0)

    def write_report(self, path: PathLike, *, force: bool = False) -> None:
        """JSON report (parameters, weights, convergence, counts, estimates), atomically."""
        with _Use(self._res) as p:
            _lib.tznr_link_result_write_report(p, _path(path), 1 if force else 0)


class Linker(_Handle):
    """Configuration of a probabilistic linkage (link.h): comparison vectors from the
    field-level Dice similarities, Fellegi–Sunter with EM, links whose match probability
    reaches *threshold*, greedy 1:1 assignment for two files, clusters for deduplication.

    Args:
        threshold: match probability a pair needs, in (0, 1) (default 0.5).
        max_iterations, tolerance: EM stopping rule (defaults 1000, 1e-6).
        prefilter: compare only pairs whose CLK Dice reaches it (default 0: all pairs).
        model: starting (or fixed, with *fix_m* / *fix_u*) parameters, copied.
        u_from_random: estimate u from that many random pairs first and keep it fixed,
            drawn reproducibly from *seed*.
        threads: threads comparing pairs (0 or None: all online cores; at most 64). Results
            do not depend on it.
        progress: ``progress(done, total)``; return True to cancel.
        max_links: the most links a run keeps (about 64 bytes each); a run with more
            raises :class:`LimitError` after EM, before storing any (the message names the
            records, pairs compared, links and the limit). None: the library default
            (``TZNR_LINK_DEFAULT_MAX_LINKS``, 10 million); 0: no limit.

    Configure once; then :meth:`link` and :meth:`dedupe` may run from several threads.
    """

    def __init__(self, *, threshold: Optional[float] = None,
                 max_iterations: Optional[int] = None, tolerance: Optional[float] = None,
                 prefilter: Optional[float] = None, model: Optional[FsModel] = None,
                 fix_m: bool = False, fix_u: bool = False,
                 u_from_random: Optional[int] = None, seed: int = 0,
                 threads: Optional[int] = None,
                 progress: Optional[Callable[[int, int], Any]] = None,
                 max_links: Optional[int] = None) -> None:
        if max_links is not None and (not isinstance(max_links, int) or max_links < 0):
            raise ValueError(f"max_links={max_links!r}: expected an int >= 0 (0 = no limit)")
        fn = _L.require("tznr_linker_new", "Linker")
        self._own(_new_handle(fn), _lib.tznr_linker_free)
        self._prog: Optional[_Progress] = None
        with _Use(self._res) as p:
            if threshold is not None:
                _lib.tznr_linker_set_threshold(p, float(threshold))
            if max_iterations is not None or tolerance is not None:
                _lib.tznr_linker_set_em(p, 1000 if max_iterations is None else max_iterations,
                                        1e-6 if tolerance is None else float(tolerance))
            if prefilter is not None:
                _lib.tznr_linker_set_prefilter(p, float(prefilter))
            if model is not None:
                with _Use(model._res) as mp:
                    _lib.tznr_linker_set_model(p, mp, 1 if fix_m else 0, 1 if fix_u else 0)
            if u_from_random is not None:
                _lib.tznr_linker_set_u_from_random(p, u_from_random, seed)
            if threads is not None:
                _L.require("tznr_linker_set_threads", "Linker(threads=...)")(p, threads)
            if max_links is not None:
                _L.require("tznr_linker_set_max_links", "Linker(max_links=...)")(p, max_links)
            if progress is not None:
                self._prog = _Progress(progress)     # kept alive with the linker
                _lib.tznr_linker_set_progress(p, self._prog.c_fn, None)

    def link(self, a: Container, b: Container) -> LinkResult:
        """Link two containers made with the same schema.

        Raises:
            InvalidArgumentError: different schema fingerprints or layouts, or a model of
                another shape.
            LimitError: more than 2^32 pairs without a prefilter, or more links than
                *max_links*.
            StateError: cancelled by *progress*.
        """
        out = c_void_p()
        with _Use(self._res) as p, _Use(a._res) as pa, _Use(b._res) as pb, \
                _reraise(self._prog):
            _lib.tznr_link_two(byref(out), p, pa, pb)
        return LinkResult._wrap(out.value)  # type: ignore[arg-type]

    def dedupe(self, a: Container) -> LinkResult:
        """Deduplicate one container (all pairs i < j; clusters = connected components)."""
        out = c_void_p()
        with _Use(self._res) as p, _Use(a._res) as pa, _reraise(self._prog):
            _lib.tznr_link_dedupe(byref(out), p, pa)
        return LinkResult._wrap(out.value)  # type: ignore[arg-type]


class LinkColumn(NamedTuple):
    """One comparison column: an entry of the comparison vector and a field of the model."""
    name: str
    """The field's name, or the linkage group's name."""
    fields: Tuple[int, ...]
    """Indices of the container fields compared in it (several for a linkage group)."""


def link_columns(c: Container) -> Tuple[LinkColumn, ...]:
    """The comparison columns of a container's layout (link.h ``tznr_link_column_*``): one
    per field, except that the fields of one linkage group (e.g. birth name and usage name)
    make a single column whose Dice is the best over every cross pair of non-empty member
    filters, missing only when no such pair exists. Columns are the entries of
    :func:`compare_records` and the fields of the model, in the order of their first field."""
    count = _L.require("tznr_link_column_count", "link_columns()")
    with _Use(c._res) as p:
        out = []
        for k in range(count(p)):
            n = _lib.tznr_link_column_fields(p, k, None, 0)
            buf = (c_size_t * max(n, 1))()
            n = _lib.tznr_link_column_fields(p, k, buf, n)
            out.append(LinkColumn(_lib.tznr_link_column_name(p, k).decode("utf-8"),
                                  tuple(int(x) for x in buf[:n])))
        return tuple(out)


def compare_records(a: Container, ai: int, b: Container, bi: int) -> Tuple[Optional[int], ...]:
    """Comparison vector of record *ai* of *a* and record *bi* of *b* (the levels the model
    uses, one per comparison column, see :func:`link_columns`; None where a column is
    missing)."""
    with _Use(a._res) as pa, _Use(b._res) as pb:
        n = (_lib.tznr_link_column_count(pa) if _L.available("tznr_link_column_count")
             else _lib.tznr_container_field_count(pa))
        g = (ctypes.c_uint8 * max(n, 1))()
        _lib.tznr_link_compare(g, pa, ai, pb, bi)
    return tuple(None if x == FS_MISSING else int(x) for x in g[:n])

