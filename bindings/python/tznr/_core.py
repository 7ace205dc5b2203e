"""The Python API of tznr over the C library (see the package docstring)."""
from __future__ import annotations

import array
import base64
import binascii
import ctypes
import os
import threading
import weakref
from collections.abc import Mapping
from ctypes import byref, c_double, c_size_t, c_uint64, c_void_p
from itertools import accumulate, chain
from operator import itemgetter
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, NamedTuple,
                    Optional, Sequence, Tuple, Union, overload)

from . import _lib as _L
from ._errors import FormatError, InputError, InvalidArgumentError, StateError

if TYPE_CHECKING:  # pragma: no cover
    import numpy

_lib = _L.lib

__all__ = [
    "Schema", "Feature", "Encoder", "ClkSet", "Link", "dice", "popcount", "topk", "match",
    "match_stream", "MatchStats", "LshIndex", "lsh_candidate_probability",
    "lsh_agreement_bound", "cpu_kernel", "cpu_kernel_supported", "set_cpu_kernel",
    "greedy_solve", "write_links_csv", "generate_secret", "generate_secret_file",
    "SECRET_TEXT_SIZE", "LSH_DEFAULT_SEED",
]

#: Default LSH sampling seed (``TZNR_LSH_DEFAULT_SEED``: "tznr-lsh" as a big-endian int).
LSH_DEFAULT_SEED = 0x747A6E722D6C7368

#: Size of the text written by ``tznr_secret_generate()``, terminating NUL included.
SECRET_TEXT_SIZE = 45

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
#: What a filter may be given as: bytes, bytearray, memoryview, or a 1-D uint8 numpy array.
BytesLike = Union[bytes, bytearray, memoryview, "numpy.ndarray"]
#: One value of a record.
Value = Union[str, bytes, int, None]
#: One record: a mapping from feature name to value, or the values in schema order.
Record = Union[Mapping[str, Value], Sequence[Value]]

_SIZE_T = _L.size_t_typecode()


_NUMPY: List[Any] = []


def _numpy() -> Any:
    """numpy if it is installed, else None (numpy is optional; imported on first use)."""
    if not _NUMPY:
        try:
            import numpy
        except ImportError:
            numpy = None  # type: ignore[assignment]
        _NUMPY.append(numpy)
    return _NUMPY[0]


def _path(p: PathLike) -> bytes:
    return os.fsencode(p)


# --------------------------------------------------------------------------------------
# Ownership of C handles
# --------------------------------------------------------------------------------------

_OWN_LOCK = threading.Lock()


class _Resource:
    """One C handle. It is freed exactly once: when its owner has released it (close(),
    ``with`` exit or garbage collection through :func:`weakref.finalize`) *and* no call in
    progress nor dependent handle (an encoder on its schema) still uses it."""

    __slots__ = ("ptr", "_free", "_parents", "_users", "_released", "_kind", "_exclusive")

    def __init__(self, ptr: int, free: Callable[[int], None], kind: str,
                 parents: Sequence["_Resource"] = ()) -> None:
        self.ptr: Optional[int] = ptr
        self._free = free
        self._kind = kind
        self._users = 0
        self._released = False
        self._exclusive = False
        with _OWN_LOCK:
            for p in parents:
                p._users += 1
        self._parents = tuple(parents)

    def acquire(self) -> int:
        """Borrow the pointer for one call; pair with :meth:`unuse`."""
        with _OWN_LOCK:
            if self._released or not self.ptr:
                raise ValueError(f"operation on a closed {self._kind}")
            if self._exclusive:
                raise RuntimeError(f"the {self._kind} is being modified by another thread")
            self._users += 1
            return self.ptr

    def exclusive(self) -> "_Exclusive":
        """``with res.exclusive() as ptr:`` for a call that modifies the object: refused
        (RuntimeError) while another call or a dependent handle uses it."""
        return _Exclusive(self)

    def unuse(self) -> None:
        with _OWN_LOCK:
            self._users -= 1
            todo = self._collect()
        _run(todo)

    def close(self) -> None:
        with _OWN_LOCK:
            if self._released:
                return
            self._released = True
            todo = self._collect()
        _run(todo)

    @property
    def closed(self) -> bool:
        return self._released

    def _collect(self) -> List[Tuple[Callable[[int], None], int]]:
        # Called with _OWN_LOCK held: the frees to run, this handle's then its parents'.
        todo = []
        node: Optional[_Resource] = self
        stack = [self]
        while stack:
            node = stack.pop()
            if node._released and node._users == 0 and node.ptr:
                todo.append((node._free, node.ptr))
                node.ptr = None
                for p in node._parents:
                    p._users -= 1
                    stack.append(p)
                node._parents = ()
        return todo


def _run(todo: List[Tuple[Callable[[int], None], int]]) -> None:
    for free, ptr in todo:
        free(ptr)


class _Exclusive:
    __slots__ = ("_res",)

    def __init__(self, res: _Resource) -> None:
        self._res = res

    def __enter__(self) -> int:
        r = self._res
        with _OWN_LOCK:
            if r._released or not r.ptr:
                raise ValueError(f"operation on a closed {r._kind}")
            if r._users or r._exclusive:
                raise RuntimeError(f"the {r._kind} is in use by another call; modifying it "
                                   "needs exclusive use")
            r._exclusive = True
            return r.ptr

    def __exit__(self, *exc: Any) -> None:
        with _OWN_LOCK:
            self._res._exclusive = False


class _Use:
    """``with _Use(res) as ptr:`` borrows a handle for the duration of a C call."""
    __slots__ = ("_res",)

    def __init__(self, res: _Resource) -> None:
        self._res = res

    def __enter__(self) -> int:
        return self._res.acquire()

    def __exit__(self, *exc: Any) -> None:
        self._res.unuse()


class _Handle:
    """Base of the Python objects that own a C handle."""

    _res: _Resource
    _finalizer: Any

    def _own(self, ptr: int, free: Callable[[int], None],
             parents: Sequence[_Resource] = ()) -> None:
        self._res = _Resource(ptr, free, type(self).__name__, parents)
        self._finalizer = weakref.finalize(self, self._res.close)

    def close(self) -> None:
        """Free the C object now (idempotent). Later use raises :class:`ValueError`.

        A schema closed while an encoder still uses it is freed when that encoder is.
        """
        self._finalizer()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._res.closed

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _new_handle(fn: Callable[..., Any], *args: Any) -> int:
    out = c_void_p()
    fn(byref(out), *args)
    if not out.value:  # pragma: no cover - the library sets it whenever it returns TZNR_OK
        raise MemoryError("tznr: the library returned no object")
    return out.value


def _no_init(cls_name: str, hint: str) -> TypeError:
    return TypeError(f"{cls_name} objects are made with {hint}")


# --------------------------------------------------------------------------------------
# Buffers
# --------------------------------------------------------------------------------------

def _in_buf(obj: BytesLike) -> Tuple[Any, int]:
    """A read-only byte buffer for a ``const uint8_t *`` argument, and its length."""
    if isinstance(obj, bytes):
        return obj, len(obj)
    mv = memoryview(obj)  # type: ignore[arg-type]
    n = mv.nbytes
    if mv.readonly or not mv.c_contiguous:
        return mv.tobytes(), n
    return (ctypes.c_char * n).from_buffer(mv.cast("B")), n


def _as_bytes(obj: BytesLike) -> bytes:
    return obj if isinstance(obj, bytes) else memoryview(obj).tobytes()  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------

class Feature(NamedTuple):
    """One column of a linkage schema."""
    name: str
    """The feature identifier (the CSV column name)."""
    ignored: bool
    """True if the column is read but not encoded."""
    levels: Tuple[float, ...] = ()
    """Comparison-level Dice thresholds for probabilistic linkage (decreasing; empty when
    the feature is ignored or not compared)."""


def _levels(ptr: int, i: int) -> Tuple[float, ...]:
    if not _L.available("tznr_schema_feature_levels"):
        return ()
    n = _lib.tznr_schema_feature_levels(ptr, i, None, 0)
    if n == 0:
        return ()
    buf = (c_double * n)()
    n = _lib.tznr_schema_feature_levels(ptr, i, buf, n)
    return tuple(buf[:n])


class Schema(_Handle):
    """A validated linkage schema (clkhash linkage schema v3, plus tznr's extensions;
    see docs/schema.md). Immutable: may be shared by any number of threads.

    Make one with :meth:`from_file` or :meth:`from_json`.
    """

    _features: Tuple[Feature, ...]
    _filter_bits: int
    _id_column: Optional[str]

    def __init__(self) -> None:
        raise _no_init("Schema", "Schema.from_file() or Schema.from_json()")

    @classmethod
    def _wrap(cls, ptr: int) -> "Schema":
        self = cls.__new__(cls)
        self._own(ptr, _lib.tznr_schema_free)
        n = _lib.tznr_schema_feature_count(ptr)
        self._features = tuple(
            Feature(_lib.tznr_schema_feature_name(ptr, i).decode("utf-8"),
                    _lib.tznr_schema_feature_is_ignored(ptr, i) == 1, _levels(ptr, i))
            for i in range(n))
        self._filter_bits = int(_lib.tznr_schema_filter_bits(ptr))
        idc = _lib.tznr_schema_id_column(ptr) if _L.available("tznr_schema_id_column") else -1
        self._id_column = self._features[idc].name if idc >= 0 else None
        return self

    @classmethod
    def from_file(cls, path: PathLike) -> "Schema":
        """Read and validate a schema file (UTF-8 JSON, at most 16 MiB).

        Raises:
            TznrIOError: the file cannot be read (an :class:`OSError`).
            SchemaError: invalid schema; the message names the file, the JSON path and
                the rule (a :class:`ValueError`).
            LimitError: the file is larger than 16 MiB.
        """
        return cls._wrap(_new_handle(_lib.tznr_schema_new_from_file, _path(path)))

    @classmethod
    def from_json(cls, text: Union[str, bytes, Mapping[str, Any]]) -> "Schema":
        """Parse and validate a schema from JSON text (str or UTF-8 bytes), or from an
        already-parsed mapping (serialised with :func:`json.dumps` first).

        Raises:
            SchemaError: not JSON, or a schema rule is broken; the message names the JSON
                path (e.g. ``features[1].hashing.strategy.bitsPerToken``) and the rule.
        """
        if isinstance(text, Mapping):
            import json
            text = json.dumps(text)
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        return cls._wrap(_new_handle(_lib.tznr_schema_new_from_json, data, len(data)))

    @property
    def filter_bits(self) -> int:
        """Length of the CLKs this schema produces, in bits (``clkConfig.l``)."""
        return self._filter_bits

    @property
    def clk_bytes(self) -> int:
        """Length of one CLK in bytes (``filter_bits // 8``)."""
        return self._filter_bits // 8

    @property
    def features(self) -> Tuple[Feature, ...]:
        """Every feature in schema order, ignored ones included."""
        return self._features

    @property
    def id_column(self) -> Optional[str]:
        """The record-identifier column (tznr extension ``linkage.idColumn``), or None."""
        return self._id_column

    @property
    def fingerprint(self) -> bytes:
        """SHA-256 (32 bytes) of the schema's canonical JSON: equal for two encodings made
        with the same schema, whatever its formatting."""
        fn = _L.require("tznr_schema_fingerprint", "Schema.fingerprint")
        out = ctypes.create_string_buffer(32)
        with _Use(self._res) as p:
            fn(p, out, 32)
        return out.raw

    @property
    def feature_names(self) -> Tuple[str, ...]:
        """The feature identifiers in schema order, ignored ones included: the order of
        the values of a record given as a sequence."""
        return tuple(f.name for f in self._features)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._features)} features"
        return f"<tznr.Schema {self._filter_bits} bits, {state}>"


# --------------------------------------------------------------------------------------
# Encoder
# --------------------------------------------------------------------------------------

class Encoder(_Handle):
    """Encodes records into CLKs (keyed Bloom filters, byte-compatible with clkhash 0.18)
    with a schema and the secret shared by the data custodians.

    ``Encoder(schema, secret)``: *secret* is ``bytes``/``bytearray`` used as given, or a
    ``str`` encoded as UTF-8 (as clkhash does). It is not kept: only the per-feature keys
    derived from it are, and the library wipes them when the encoder is closed. A Python
    ``str`` or ``bytes`` cannot be wiped; prefer :meth:`from_secret_file`, or pass a
    ``bytearray`` and overwrite it yourself afterwards.

    Keyword options (``threads``, ``memo``, ``memo_max_bytes``) set the encoder's defaults
    for :meth:`encode`, :meth:`encode_csv` and :meth:`encode_csv_to_json`; see
    :meth:`encode`. None of them changes the output.

    The encoder keeps its schema alive. Encoding calls are safe from several threads at
    once on one encoder, and release the GIL while the library works.

    Raises:
        InvalidArgumentError: empty secret (a :class:`ValueError`).
        CryptoError: the key derivation failed.
    """

    _schema: Schema
    _clk_bytes: int

    def __init__(self, schema: Schema, secret: Union[bytes, bytearray, memoryview, str], *,
                 threads: Optional[int] = None, memo: Optional[str] = None,
                 memo_max_bytes: Optional[int] = None) -> None:
        if not isinstance(schema, Schema):
            raise TypeError("schema must be a tznr.Schema")
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        buf, n = _in_buf(secret)
        with _Use(schema._res) as sp:
            ptr = _new_handle(_lib.tznr_encoder_new, sp, buf, n)
        self._init(ptr, schema, dict(threads=threads, memo=memo, memo_max_bytes=memo_max_bytes))

    @classmethod
    def from_secret_file(cls, schema: Schema, path: PathLike, *,
                         threads: Optional[int] = None, memo: Optional[str] = None,
                         memo_max_bytes: Optional[int] = None) -> "Encoder":
        """An encoder whose secret is read from a key file (e.g. one written by
        :func:`generate_secret_file` or ``tznr keygen``): valid UTF-8, one trailing newline
        stripped, at most 64 KiB. The bytes read are wiped once the keys are derived.

        Raises:
            TznrIOError: the file cannot be read.
            InvalidArgumentError: empty secret or not UTF-8.
            LimitError: the file is larger than 64 KiB.
        """
        if not isinstance(schema, Schema):
            raise TypeError("schema must be a tznr.Schema")
        self = cls.__new__(cls)
        with _Use(schema._res) as sp:
            ptr = _new_handle(_lib.tznr_encoder_new_from_secret_file, sp, _path(path))
        self._init(ptr, schema, dict(threads=threads, memo=memo, memo_max_bytes=memo_max_bytes))
        return self

    def _init(self, ptr: int, schema: Schema, defaults: Dict[str, Any]) -> None:
        self._own(ptr, _lib.tznr_encoder_free, parents=(schema._res,))
        self._schema = schema
        self._clk_bytes = int(_lib.tznr_encoder_clk_bytes(ptr))
        feats = schema.features
        self._names = tuple(f.name for f in feats)
        if len(feats) > 1:
            self._getter: Callable[[Any], Tuple[Any, ...]] = itemgetter(*self._names)
        else:
            name0 = self._names[0]
            self._getter = lambda rec: (rec[name0],)
        self._defaults = {k: v for k, v in defaults.items() if v is not None}
        _encode_options(self._defaults, None)  # check them now

    def _options(self, kw: Dict[str, Any], progress: Optional[Callable[[int, int], Any]]
                 ) -> Tuple[Any, Optional["_Progress"]]:
        merged = dict(self._defaults)
        merged.update({k: v for k, v in kw.items() if v is not None})
        return _encode_options(merged, progress)

    @property
    def schema(self) -> Schema:
        """The schema this encoder was made with."""
        return self._schema

    @property
    def clk_bytes(self) -> int:
        """Size of one CLK in bytes."""
        return self._clk_bytes

    # -- records -> packed buffer ------------------------------------------------------

    def _flatten(self, records: Iterable[Record]) -> Tuple[List[Any], int]:
        """All values of all records in one list, in schema order; and the record count."""
        if not isinstance(records, (list, tuple)):
            records = list(records)
        n = len(records)
        if n == 0:
            return [], 0
        nf = len(self._names)
        # fast paths, at C speed: all records lists/tuples of the right length, or all dicts
        types = set(map(type, records))
        if types <= {list, tuple}:
            if set(map(len, records)) == {nf}:
                return list(chain.from_iterable(records)), n
        elif types == {dict}:
            try:
                return list(chain.from_iterable(map(self._getter, records))), n
            except KeyError:
                pass  # a key is missing: the general path names the record
        return self._flatten_slow(records), n

    def _packed(self, records: Iterable[Record]) -> Tuple[bytes, Any, int]:
        """``(buf, offsets, n_records)`` for the batch call.

        Fast path (numpy installed; records all lists/tuples of the right length or all
        dicts; values all ``str``): one NUL-separated join straight from the records, with
        no intermediate list of values (see :meth:`_pack`). Otherwise the general path."""
        if not isinstance(records, (list, tuple)):
            records = list(records)
        n = len(records)
        np = _numpy()
        if n and np is not None:
            nf = len(self._names)
            types = set(map(type, records))
            it: Optional[Iterable[Any]] = None
            if types <= {list, tuple}:
                if set(map(len, records)) == {nf}:
                    it = chain.from_iterable(records)
            elif types == {dict}:
                it = chain.from_iterable(map(self._getter, records))
            if it is not None:
                try:
                    text = "\x00".join(it)
                except (TypeError, KeyError):
                    pass   # the general path converts the values or names the record
                else:
                    packed = _sep_pack(np, text, n * nf)
                    if packed is not None:
                        return packed[0], packed[1], n
        flat, n = self._flatten(records)
        if n == 0:
            return b"", None, 0
        buf, offsets = self._pack(flat)
        return buf, offsets, n

    def _flatten_slow(self, records: Sequence[Record]) -> List[Any]:
        names = self._names
        nf = len(names)
        getter = self._getter
        flat: List[Any] = []
        extend = flat.extend
        for n, rec in enumerate(records):
            if isinstance(rec, Mapping):
                try:
                    extend(getter(rec))
                except KeyError:
                    extend(self._from_mapping_slow(rec, n))
            elif isinstance(rec, (str, bytes, bytearray)):
                raise TypeError(f"record {n}: a str or bytes is not a record; give a mapping "
                                f"or a sequence of {nf} values")
            else:
                if not isinstance(rec, (list, tuple)):
                    rec = list(rec)
                if len(rec) != nf:
                    raise InputError(f"record {n}: {len(rec)} values, but the schema has {nf} "
                                     f"features ({', '.join(names)})")
                extend(rec)
        return flat

    def _from_mapping_slow(self, rec: Mapping[str, Any], n: int) -> List[Any]:
        out = []
        for f in self._schema.features:
            if f.name in rec:
                out.append(rec[f.name])
            elif f.ignored:
                out.append("")
            else:
                raise InputError(f"record {n}: no value for feature '{f.name}'")
        return out

    def _pack(self, flat: List[Any]) -> Tuple[bytes, Any]:
        """Concatenated UTF-8 values and the ``n_values + 1`` size_t offsets.

        Fast paths (all values ``str``): with numpy, the values are joined with NUL
        separators and encoded in one call, the separators found by numpy and removed by
        ``bytes.replace``: no per-value Python work at all. Without numpy, ASCII text is
        encoded in one call and the offsets are running sums of the ``str`` lengths."""
        np = _numpy()
        n = len(flat)
        try:
            text: Optional[str] = ("\x00" if np is not None else "").join(flat)
        except TypeError:  # None, int or bytes values
            flat = self._normalise_values(flat)
            text = None
        if text is not None:
            if np is not None:
                packed = _sep_pack(np, text, n)
                if packed is not None:
                    return packed
            elif text.isascii():
                return text.encode("ascii"), _offsets(list(map(len, flat)))
        nf = len(self._names)
        enc: List[bytes] = []
        for i, v in enumerate(flat):
            if isinstance(v, bytes):
                enc.append(v)
                continue
            try:
                enc.append(v.encode("utf-8"))
            except UnicodeEncodeError as e:
                raise InputError(f"record {i // nf}: column '{self._names[i % nf]}': "
                                 f"not encodable as UTF-8 ({e.reason})") from None
        return b"".join(enc), _offsets(list(map(len, enc)))

    def _normalise_values(self, flat: List[Any]) -> List[Any]:
        nf = len(self._names)
        out: List[Any] = []
        for i, v in enumerate(flat):
            if isinstance(v, str):
                out.append(v)
            elif v is None:
                out.append("")
            elif isinstance(v, (bytes, bytearray, memoryview)):
                out.append(bytes(v))
            elif isinstance(v, int) and not isinstance(v, bool):
                out.append(str(v))
            else:
                raise TypeError(f"record {i // nf}: column '{self._names[i % nf]}': a value "
                                f"must be str, bytes, int or None, not {type(v).__name__}")
        return out

    # -- encoding ------------------------------------------------------------------------

    def encode(self, records: Iterable[Record], *, threads: Optional[int] = None,
               memo: Optional[str] = None, memo_max_bytes: Optional[int] = None,
               progress: Optional[Callable[[int, int], Any]] = None,
               as_numpy: bool = False) -> Any:
        """Encode records into CLKs, in one call to the library (the batch API).

        Args:
            records: an iterable of records, each either a mapping from feature name to
                value (extra keys are not read; ignored features may be absent) or a
                sequence of values in schema order (:attr:`Schema.feature_names`, ignored
                features included). A value is a ``str``; ``None`` means the empty string,
                an ``int`` is written in decimal, ``bytes`` must be UTF-8. Rows of a pandas
                DataFrame work: ``df.to_dict("records")`` or ``df.itertuples(index=False)``.
            threads: encoding threads, the calling one included; 0 or None (default):
                all online CPUs (at most 256 are used).
            memo: ``"all"`` (default: a value memo in front of a token memo, per feature),
                ``"tokens"`` (token memo only) or ``"off"``. Memos hold material derived
                from the secret; they live in memory for one call and are wiped after it.
            memo_max_bytes: memo budget per thread in bytes (default 64 MiB).
            progress: ``progress(done, total)`` in records, called from this thread a few
                times per second; return True to cancel (:class:`StateError`). An exception
                raised in it cancels the call and is re-raised.
            as_numpy: return one ``(n, clk_bytes)`` uint8 numpy array (no per-CLK Python
                object: the fastest form) instead of a list of bytes. Needs numpy.

        Returns:
            One CLK of :attr:`clk_bytes` bytes per record, in record order (bit order of
            clkhash: position p is bit ``0x80 >> (p % 8)`` of byte ``p // 8``): a list of
            ``bytes``, or a numpy array with *as_numpy*.

        Raises:
            InputError: some record is invalid. Every record is checked first; the message
                lists each failure as ``record R: column 'NAME': RULE`` (R 0-based, the
                first 50, then a count). Nothing is returned.
            TypeError: a value of another type, or a record that is a str.
            StateError: cancelled by *progress*.
            NotImplementedError: an option that the loaded libtznr does not have.
        """
        if as_numpy and _numpy() is None:
            raise ImportError("as_numpy=True needs numpy")
        opts, prog = self._options(dict(threads=threads, memo=memo,
                                        memo_max_bytes=memo_max_bytes), progress)
        buf, offsets, n = self._packed(records)
        if n == 0:
            return _numpy().zeros((0, self._clk_bytes), dtype="u1") if as_numpy else []
        cb = self._clk_bytes
        out = bytearray(n * cb)
        c_out = (ctypes.c_char * (n * cb)).from_buffer(out)
        off = (c_size_t * len(offsets)).from_buffer(offsets)  # no copy
        with _Use(self._res) as ep, _reraise(prog):
            if opts is None:
                _lib.tznr_encoder_encode_batch(ep, buf, off, n, len(self._names), c_out, n * cb)
            else:
                _L.require("tznr_encoder_encode_batch_opts", "encoding options")(
                    ep, buf, off, n, len(self._names), c_out, n * cb, byref(opts))
        del c_out
        if as_numpy:
            np = _numpy()
            return np.frombuffer(out, dtype=np.uint8).reshape(n, cb)
        return _split(out, cb)

    def encode_record(self, record: Record) -> bytes:
        """Encode one record (see :meth:`encode` for the forms a record may take).

        Prefer :meth:`encode` for many records: one call for all of them.

        Raises:
            InputError: a value breaks its feature's rule (the message names the feature,
                the rule and the value).
        """
        flat, _ = self._flatten([record])
        buf, offsets = self._pack(self._normalise_values(flat))
        vals = [buf[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
        nf = len(vals)
        ptrs = (ctypes.c_char_p * nf)(*vals)
        lens = (c_size_t * nf)(*map(len, vals))
        out = ctypes.create_string_buffer(self._clk_bytes)
        with _Use(self._res) as ep:
            _lib.tznr_encoder_encode_record(ep, ptrs, lens, nf, out, self._clk_bytes)
        return out.raw

    def encode_csv(self, path: PathLike, *, threads: Optional[int] = None,
                   memo: Optional[str] = None, memo_max_bytes: Optional[int] = None,
                   progress: Optional[Callable[[int, int], Any]] = None) -> "ClkSet":
        """Encode every data row of a CSV file (RFC 4180, UTF-8, header row naming the
        features in any order; BOM and CRLF accepted), in row order, entirely in C.

        The options are those of :meth:`encode` (*progress* gets ``total == 0``).

        Returns:
            A :class:`ClkSet` with one CLK per data row.

        Raises:
            TznrIOError: the file cannot be read.
            InputError: malformed CSV, header mismatch or invalid values; the message lists
                each failure as ``FILE:LINE: column 'NAME': RULE``.
            LimitError: a field over 1 MiB or a row over 4096 fields.
            StateError: cancelled by *progress*.
        """
        opts, prog = self._options(dict(threads=threads, memo=memo,
                                        memo_max_bytes=memo_max_bytes), progress)
        out = c_void_p()
        with _Use(self._res) as ep, _reraise(prog):
            if opts is None:
                _lib.tznr_encoder_encode_csv(ep, _path(path), byref(out))
            else:
                _L.require("tznr_encoder_encode_csv_opts", "encoding options")(
                    ep, _path(path), byref(opts), byref(out))
        return ClkSet._wrap(out.value)  # type: ignore[arg-type]

    def encode_csv_container(self, path: PathLike) -> "Any":
        """Encode every data row of a CSV file into a native :class:`Container`: each
        record's identifier (the schema's ``linkage.idColumn``, else the 1-based row
        number), one field-level Bloom filter per compared field, and its CLK, for
        probabilistic linkage (:class:`Linker`). The CLKs and the validation are those of
        :meth:`encode_csv`; an empty or whitespace-only value gives an empty field filter
        (a missing value, never an agreement).

        Raises:
            TznrIOError: the file cannot be read.
            InputError: malformed CSV, header mismatch, invalid values or identifiers.
            LimitError: a field over 1 MiB or a row over 4096 fields.
        """
        from ._linkage import Container
        fn = _L.require("tznr_encoder_encode_csv_container", "Encoder.encode_csv_container()")
        out = c_void_p()
        with _Use(self._res) as ep:
            fn(ep, _path(path), byref(out))
        return Container._wrap(out.value)  # type: ignore[arg-type]

    def encode_csv_to_json(self, csv_path: PathLike, json_path: PathLike, *,
                           force: bool = False, threads: Optional[int] = None,
                           memo: Optional[str] = None, memo_max_bytes: Optional[int] = None,
                           progress: Optional[Callable[[int, int], Any]] = None) -> None:
        """Encode a CSV file straight into a clkhash JSON file, streaming: memory stays
        bounded whatever the number of rows (what ``tznr encode`` does). The output is
        written to a temporary file and renamed only when every row was valid.

        Options and errors as :meth:`encode_csv`, plus :class:`TznrFileExistsError` when
        *json_path* exists and *force* is false.
        """
        opts, prog = self._options(dict(threads=threads, memo=memo,
                                        memo_max_bytes=memo_max_bytes), progress)
        if opts is None:
            opts, prog = _encode_options({}, None, force=True)
        fn = _L.require("tznr_encoder_encode_csv_to_json", "Encoder.encode_csv_to_json()")
        with _Use(self._res) as ep, _reraise(prog):
            fn(ep, _path(csv_path), _path(json_path), 1 if force else 0, byref(opts))

    def __repr__(self) -> str:
        return f"<tznr.Encoder {self._clk_bytes * 8} bits{', closed' if self.closed else ''}>"


def _sep_pack(np: Any, text: str, n: int) -> Optional[Tuple[bytes, Any]]:
    """*text* is *n* values joined with NUL: the values concatenated in UTF-8 and their
    ``n + 1`` offsets, or None if a value holds a NUL itself or cannot be encoded."""
    try:
        sep = text.encode("utf-8")
    except UnicodeEncodeError:
        return None   # lone surrogates: the general path names the value
    pos = np.flatnonzero(np.frombuffer(sep, dtype=np.uint8) == 0)
    if len(pos) != n - 1:
        return None
    buf = sep.replace(b"\x00", b"")
    off = np.empty(n + 1, dtype=np.dtype("u%d" % ctypes.sizeof(c_size_t)))
    off[0] = 0
    off[1:n] = pos
    off[1:n] -= np.arange(n - 1, dtype=off.dtype)   # the separators before each end
    off[n] = len(buf)
    return buf, off


_SPLIT: Dict[int, Any] = {}


def _split(buf: Union[bytes, bytearray], size: int) -> List[bytes]:
    """*buf* cut into ``bytes`` of *size* bytes (by a compiled regular expression: the loop
    runs in C, about twice as fast as slicing in a list comprehension)."""
    pat = _SPLIT.get(size)
    if pat is None:
        import re
        pat = _SPLIT[size] = re.compile(b".{%d}" % size, re.S)
    return pat.findall(buf)


def _offsets(lengths: List[int]) -> Any:
    """``len(lengths) + 1`` size_t offsets (0, then the running sums), in a writable buffer:
    a numpy cumulative sum when numpy is installed (3x faster), else itertools.accumulate."""
    np = _numpy()
    if np is not None:
        out = np.zeros(len(lengths) + 1, dtype=np.dtype("u%d" % ctypes.sizeof(c_size_t)))
        np.cumsum(np.array(lengths, dtype=out.dtype), out=out[1:])
        return out
    return array.array(_SIZE_T, accumulate(lengths, initial=0))


_MEMO_MODES = {"all": 0, "tokens": 1, "off": 2}


class _Progress:
    """A Python progress callback as a C ``tznr_progress_fn``: returning True cancels; an
    exception cancels too and is re-raised after the call."""

    def __init__(self, fn: Callable[[int, int], Any]) -> None:
        self.fn = fn
        self.exc: Optional[BaseException] = None
        self.c_fn = _L.PROGRESS_FN(self._call)   # kept alive as long as this object

    def _call(self, done: int, total: int, user: Any) -> int:
        try:
            return 1 if self.fn(done, total) else 0
        except BaseException as e:  # noqa: BLE001 - re-raised after the call
            self.exc = e
            return 1


class _reraise:
    """``with _reraise(progress):`` re-raises an exception of the progress callback in
    place of the library's TZNR_ESTATE (cancelled)."""
    __slots__ = ("_p",)

    def __init__(self, p: Optional[_Progress]) -> None:
        self._p = p

    def __enter__(self) -> None:
        return None

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        if self._p is not None and self._p.exc is not None and et is not None:
            raise self._p.exc


def _encode_options(kw: Dict[str, Any], progress: Optional[Callable[[int, int], Any]],
                    force: bool = False) -> Tuple[Any, Optional[_Progress]]:
    """A ``tznr_encode_options`` for these keywords, or None when all are defaults (the
    calls without options then work with any libtznr)."""
    threads = kw.get("threads")
    memo = kw.get("memo")
    memo_max = kw.get("memo_max_bytes")
    if threads is not None and (not isinstance(threads, int) or threads < 0):
        raise ValueError(f"threads={threads!r}: expected an int >= 0 (0 = all CPUs)")
    if memo is not None and memo not in _MEMO_MODES:
        raise ValueError(f"memo={memo!r}: expected 'all', 'tokens' or 'off'")
    if memo_max is not None and (not isinstance(memo_max, int) or memo_max < 0):
        raise ValueError(f"memo_max_bytes={memo_max!r}: expected an int >= 0")
    if threads is None and memo is None and memo_max is None and progress is None and not force:
        return None, None
    init = _L.require("tznr_encode_options_init", "encoding options (threads, memo, progress)")
    opts = _L.EncodeOptions()
    init(byref(opts))
    if threads is not None:
        opts.threads = threads
    if memo is not None:
        opts.memo = _MEMO_MODES[memo]
    if memo_max is not None:
        opts.memo_max_bytes = memo_max
    prog = None
    if progress is not None:
        prog = _Progress(progress)
        opts.progress = prog.c_fn
    return opts, prog


# --------------------------------------------------------------------------------------
# ClkSet
# --------------------------------------------------------------------------------------

class ClkSet(_Handle, Sequence[bytes]):
    """An immutable sequence of equal-length filters (CLKs), in row order.

    ``ClkSet(filters, filter_bits=None)`` copies *filters*: an iterable of bytes-like
    objects (``bytes``, ``bytearray``, ``memoryview``) or a 2-D ``uint8`` numpy array of
    shape ``(n, filter_bits // 8)``. *filter_bits* (a positive multiple of 64, at most
    1,048,576) is needed only when *filters* is empty.

    Reading is safe from several threads at once (the set never changes once made).
    Indexing gives ``bytes``; :meth:`to_base64`, :meth:`to_json` and :meth:`to_dict` give
    clkhash's forms, :meth:`to_numpy` a ``(n, bytes)`` uint8 array.

    Raises:
        InvalidArgumentError: *filter_bits* is not a positive multiple of 64.
        BufferSizeError: filters of different lengths.
    """

    _n: int
    _bytes: int

    def __init__(self, filters: Union[Iterable[BytesLike], "numpy.ndarray"] = (), *,
                 filter_bits: Optional[int] = None) -> None:
        rows = _rows(filters)
        if filter_bits is None:
            if not rows:
                raise ValueError("an empty ClkSet needs filter_bits")
            filter_bits = len(rows[0]) * 8
        ptr = _new_handle(_lib.tznr_clkset_new, filter_bits)
        self._own(ptr, _lib.tznr_clkset_free)
        append = _lib.tznr_clkset_append
        for r in rows:
            append(ptr, r, len(r))
        self._n = int(_lib.tznr_clkset_count(ptr))
        self._bytes = int(_lib.tznr_clkset_filter_bits(ptr)) // 8

    @classmethod
    def _wrap(cls, ptr: int) -> "ClkSet":
        self = cls.__new__(cls)
        self._own(ptr, _lib.tznr_clkset_free)
        self._n = int(_lib.tznr_clkset_count(ptr))
        self._bytes = int(_lib.tznr_clkset_filter_bits(ptr)) // 8
        return self

    @classmethod
    def from_json(cls, path: PathLike) -> "ClkSet":
        """Read a clkhash JSON file ``{"clks": ["<base64>", ...]}`` (``"-"``: standard input).

        Raises:
            TznrIOError: the file cannot be read.
            FormatError: not JSON, no ``clks`` array, bad base64, unequal lengths (the
                message names the file and the index).
            LimitError: the file exceeds 4 GiB.
        """
        return cls._wrap(_new_handle(_lib.tznr_clkset_read_json, _path(path)))

    @classmethod
    def from_base64(cls, strings: Iterable[Union[str, bytes]], *,
                    filter_bits: Optional[int] = None) -> "ClkSet":
        """Filters from standard base64 strings (with padding), as in clkhash's JSON.

        Raises:
            FormatError: a string is not valid base64 (the message gives its index).
        """
        rows = []
        for i, s in enumerate(strings):
            try:
                rows.append(base64.b64decode(s, validate=True))
            except (binascii.Error, ValueError) as e:
                raise FormatError(f"clks[{i}]: not valid base64 ({e})") from None
        return cls(rows, filter_bits=filter_bits)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "ClkSet":
        """Filters from a parsed clkhash JSON object ``{"clks": [...]}``."""
        try:
            clks = obj["clks"]
        except (KeyError, TypeError):
            raise FormatError('no "clks" key') from None
        if not isinstance(clks, list):
            raise FormatError('"clks" is not an array')
        return cls.from_base64(clks)

    @property
    def filter_bits(self) -> int:
        """Bits per filter (a multiple of 64; 0 for a set read from an empty JSON list)."""
        return self._bytes * 8

    @property
    def filter_bytes(self) -> int:
        """Bytes per filter."""
        return self._bytes

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> List[bytes]: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[bytes, List[bytes]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("ClkSet index out of range")
        with _Use(self._res) as p:
            return ctypes.string_at(_lib.tznr_clkset_get(p, i), self._bytes)

    def __iter__(self) -> Iterator[bytes]:
        nb = self._bytes
        get = _lib.tznr_clkset_get
        string_at = ctypes.string_at
        with _Use(self._res) as p:
            rows = [string_at(get(p, i), nb) for i in range(self._n)]
        return iter(rows)

    def to_bytes(self) -> bytes:
        """All filters concatenated, ``len(self) * filter_bytes`` bytes."""
        return b"".join(self)

    def to_base64(self) -> List[str]:
        """The filters as standard base64 strings (clkhash's form)."""
        return [base64.b64encode(f).decode("ascii") for f in self]

    def to_dict(self) -> Dict[str, List[str]]:
        """clkhash's JSON object ``{"clks": [base64, ...]}`` (for :func:`json.dumps`)."""
        return {"clks": self.to_base64()}

    def to_json(self, path: PathLike, *, force: bool = False) -> None:
        """Write clkhash JSON atomically (temporary file, then rename); ``"-"`` is stdout.

        Raises:
            TznrFileExistsError: *path* exists and *force* is false (a FileExistsError).
            TznrIOError: writing failed; nothing is left at *path*.
        """
        with _Use(self._res) as p:
            _lib.tznr_clkset_write_json(p, _path(path), 1 if force else 0)

    def to_numpy(self) -> "numpy.ndarray":
        """The filters as a ``(len(self), filter_bytes)`` uint8 numpy array (needs numpy)."""
        np = _numpy()
        if np is None:
            raise ImportError("ClkSet.to_numpy() needs numpy")
        return np.frombuffer(self.to_bytes(), dtype=np.uint8).reshape(self._n, self._bytes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClkSet):
            return self._bytes == other._bytes and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.closed:
            return "<tznr.ClkSet closed>"
        return f"<tznr.ClkSet {self._n} filters of {self._bytes * 8} bits>"


def _rows(filters: Any) -> List[bytes]:
    """Filters as a list of bytes, from an iterable of bytes-likes or a 2-D numpy array."""
    if isinstance(filters, ClkSet):
        return list(filters)
    if isinstance(filters, (bytes, bytearray, str)):
        raise TypeError("give an iterable of filters, not one buffer")
    ndim = getattr(filters, "ndim", None)
    if ndim is not None:
        if ndim != 2:
            raise ValueError(f"a filter array must be 2-D (n, bytes), not {ndim}-D")
        if filters.dtype.itemsize != 1:
            raise TypeError(f"a filter array must have a 1-byte dtype, not {filters.dtype}")
        data = filters.tobytes()  # C order
        n, nb = filters.shape
        return [data[i * nb:(i + 1) * nb] for i in range(n)]
    return [_as_bytes(f) for f in filters]


def _clkset(x: Any) -> ClkSet:
    return x if isinstance(x, ClkSet) else ClkSet(x)


# --------------------------------------------------------------------------------------
# Comparison (linkage-unit side: no secret)
# --------------------------------------------------------------------------------------

def popcount(f: BytesLike) -> int:
    """Number of set bits in a filter whose length is a positive multiple of 8 bytes.

    Raises:
        InvalidArgumentError: a length that is not a positive multiple of 8 bytes.
    """
    buf, n = _in_buf(f)
    out = c_uint64()
    _lib.tznr_filter_popcount(byref(out), buf, n)
    return out.value


def dice(a: BytesLike, b: BytesLike) -> float:
    """Dice coefficient ``2*|a AND b| / (|a| + |b|)`` of two filters of equal length, in
    [0, 1]. Two empty (all-zero) filters score 0.0, never NaN.

    Raises:
        InvalidArgumentError: unequal lengths, or a length that is not a positive multiple
            of 8 bytes.
    """
    ba, na = _in_buf(a)
    bb, nbb = _in_buf(b)
    if na != nbb:
        raise InvalidArgumentError(f"filters of {na} and {nbb} bytes: the lengths must be equal")
    out = c_double()
    _lib.tznr_filter_dice(byref(out), ba, bb, na)
    return out.value


def topk(query: BytesLike, filters: Union[ClkSet, Iterable[BytesLike], "numpy.ndarray"],
         k: int, threshold: float = 0.0, *,
         ids: Optional[Sequence[int]] = None) -> List[Tuple[int, float]]:
    """The *k* best matches of *query* among *filters* (one against many).

    Args:
        query: one filter.
        filters: filters of the same length as *query*.
        k: maximum number of results (>= 0).
        threshold: minimum Dice score in [0, 1].
        ids: identifiers of the filters (unsigned 64-bit), used in the output and to break
            ties; default 0..n-1.

    Returns:
        Up to *k* ``(id, score)`` pairs with ``score >= threshold``, by score descending,
        then id ascending.

    Raises:
        InvalidArgumentError: bad lengths or a threshold outside [0, 1].
    """
    qb, qn = _in_buf(query)
    rows = _rows(filters)
    n = len(rows)
    if any(len(r) != qn for r in rows):
        raise InvalidArgumentError(f"every filter must have the length of the query ({qn} bytes)")
    if k < 0:
        raise InvalidArgumentError("k must be >= 0")
    packed = b"".join(rows)
    id_arr = None
    if ids is not None:
        if len(ids) != n:
            raise InvalidArgumentError(f"{len(ids)} ids for {n} filters")
        id_arr = (c_uint64 * n)(*ids)
    out_ids = (c_uint64 * max(k, 1))()
    out_scores = (c_double * max(k, 1))()
    count = c_size_t()
    _lib.tznr_filter_topk(out_ids, out_scores, byref(count), qb, packed if n else None,
                          id_arr, n, qn, float(threshold), k)
    return [(int(out_ids[i]), float(out_scores[i])) for i in range(count.value)]


class Link(NamedTuple):
    """One candidate pair or link."""
    a_index: int
    """Row of the record in A (0-based)."""
    b_index: int
    """Row of the record in B (0-based)."""
    score: float
    """Dice score in [0, 1]."""


#: The numpy dtype of the structured arrays returned by :func:`match` and
#: :func:`greedy_solve` when numpy is used.
LINK_DTYPE = [("a_index", "<u8"), ("b_index", "<u8"), ("score", "<f8")]


def _read_candidates(ptr: int, as_numpy: Optional[bool]) -> Any:
    n = _lib.tznr_candidates_count(ptr)
    np = _numpy() if as_numpy is not False else None
    if as_numpy and np is None:
        raise ImportError("as_numpy=True needs numpy")
    ai, bi, sc = c_uint64(), c_uint64(), c_double()
    rai, rbi, rsc = byref(ai), byref(bi), byref(sc)
    get = _lib.tznr_candidates_get
    out = []
    for i in range(n):
        get(ptr, i, rai, rbi, rsc)
        out.append(Link(ai.value, bi.value, sc.value))
    if np is not None:
        return np.array(out, dtype=LINK_DTYPE) if out else np.zeros(0, dtype=LINK_DTYPE)
    return out


class _Candidates(_Handle):
    def __init__(self, ptr: int) -> None:
        self._own(ptr, _lib.tznr_candidates_free)

    @classmethod
    def from_pairs(cls, pairs: Iterable[Any]) -> "_Candidates":
        c = cls(_new_handle(_lib.tznr_candidates_new))
        add = _lib.tznr_candidates_add
        ptr = c._res.ptr
        fields = getattr(getattr(pairs, "dtype", None), "names", None)
        if fields:  # a structured numpy array
            pairs = zip(pairs["a_index"].tolist(), pairs["b_index"].tolist(),  # type: ignore
                        pairs["score"].tolist())  # type: ignore
        try:
            for a, b, s in pairs:
                add(ptr, a, b, s)
        except BaseException:
            c.close()
            raise
        return c


class MatchStats:
    """Counters of one search, filled in by :func:`match` / :func:`match_stream` when given
    as ``stats=``. Attributes: ``pairs_total`` (|A| x |B|), ``comparisons`` (AND-popcounts
    computed), ``candidates`` (pairs proposed by LSH tables, repeats counted; exhaustive:
    the comparisons), ``pairs_out`` (pairs delivered), ``threads`` (worker threads used),
    ``kernel`` (comparison kernel used)."""

    pairs_total = comparisons = candidates = pairs_out = threads = 0
    kernel = ""

    def _fill(self, st: Any) -> None:
        self.pairs_total, self.comparisons = st.pairs_total, st.comparisons
        self.candidates, self.pairs_out = st.candidates, st.pairs_out
        self.threads = st.threads
        self.kernel = st.kernel.decode("ascii") if st.kernel else ""

    def __repr__(self) -> str:
        return (f"MatchStats(pairs_total={self.pairs_total}, comparisons={self.comparisons}, "
                f"candidates={self.candidates}, pairs_out={self.pairs_out}, "
                f"threads={self.threads}, kernel={self.kernel!r})")


class LshIndex(_Handle):
    """LSH blocking index (Hamming LSH by bit sampling, block.h): *tables* tables of *k*
    sampled bit positions each, for filters of *filter_bits* bits. Pass it to
    :func:`match` as ``blocking=`` to compare only the pairs whose filters agree on every
    sampled bit of at least one table; each pair returned is one the exhaustive search
    returns, with the same score. Immutable; positions are reproducible from *seed*.

    :meth:`choose` picks *k* and *tables* for a target recall from the data.

    Raises:
        InvalidArgumentError: a parameter out of range.
    """

    def __init__(self, filter_bits: int, k: int, tables: int, seed: int = LSH_DEFAULT_SEED
                 ) -> None:
        fn = _L.require("tznr_lsh_new", "LSH blocking")
        self._own(_new_handle(fn, filter_bits, k, tables, seed), _lib.tznr_lsh_free)

    @classmethod
    def choose(cls, a: "ClkSet", b: "ClkSet", threshold: float, recall: float = 0.995, *,
               goal: str = "every_pair", seed: int = LSH_DEFAULT_SEED) -> "LshIndex":
        """The index with the lowest estimated cost reaching *recall* (in (0, 1)) for the
        pairs of *a* x *b* with Dice >= *threshold*: with ``goal="every_pair"`` (default)
        every such pair is a candidate with at least that probability; with
        ``goal="mean_at_threshold"``, the mean probability over pairs at the threshold.

        Raises:
            InvalidArgumentError: no k <= 64 reaches the recall (use exhaustive search).
            BufferSizeError: different filter lengths.
        """
        goals = {"every_pair": 0, "mean_at_threshold": 1}
        if goal not in goals:
            raise ValueError(f"goal={goal!r}: expected 'every_pair' or 'mean_at_threshold'")
        fn = _L.require("tznr_lsh_choose", "LSH blocking")
        sa, sb = _clkset(a), _clkset(b)
        k, tables = ctypes.c_uint(), ctypes.c_uint()
        with _Use(sa._res) as pa, _Use(sb._res) as pb:
            fn(byref(k), byref(tables), pa, pb, float(threshold), float(recall), goals[goal])
        return cls(sa.filter_bits, k.value, tables.value, seed)

    def recall(self, a: "ClkSet", b: "ClkSet", threshold: float) -> Tuple[float, float]:
        """``(every_pair, mean_at_threshold)``: the probability guaranteed for every pair of
        *a* x *b* with Dice >= *threshold* to be a candidate with this index's k and
        tables, and the mean probability over pairs at the threshold."""
        fn = _L.require("tznr_lsh_recall", "LshIndex.recall()")
        sa, sb = _clkset(a), _clkset(b)
        every, mean = c_double(), c_double()
        with _Use(sa._res) as pa, _Use(sb._res) as pb:
            fn(byref(every), byref(mean), pa, pb, float(threshold), self.k, self.tables)
        return every.value, mean.value

    def _get(self, name: str) -> Any:
        with _Use(self._res) as p:
            return getattr(_lib, name)(p)

    @property
    def k(self) -> int:
        """Bits per key."""
        return int(self._get("tznr_lsh_k"))

    @property
    def tables(self) -> int:
        """Number of tables (lambda)."""
        return int(self._get("tznr_lsh_tables"))

    @property
    def seed(self) -> int:
        """Sampling seed."""
        return int(self._get("tznr_lsh_seed"))

    @property
    def filter_bits(self) -> int:
        """Filter length the index was made for."""
        return int(self._get("tznr_lsh_filter_bits"))

    def positions(self, table: int) -> List[int]:
        """The *k* sampled positions of *table* (clkhash bit numbering)."""
        out = ctypes.c_uint32()
        k = self.k
        res = []
        with _Use(self._res) as p:
            for i in range(k):
                _lib.tznr_lsh_position(byref(out), p, table, i)
                res.append(out.value)
        return res

    def __repr__(self) -> str:
        if self.closed:
            return "<tznr.LshIndex closed>"
        return f"<tznr.LshIndex k={self.k} tables={self.tables} seed={self.seed:#x}>"


def lsh_candidate_probability(p: float, k: int, tables: int) -> float:
    """``1 - (1 - p**k)**tables``: the probability that a pair agreeing on a sampled bit with
    probability *p* becomes a candidate (NaN if *p* is outside [0, 1])."""
    return float(_L.require("tznr_lsh_candidate_probability", "LSH blocking")(p, k, tables))


def lsh_agreement_bound(threshold: float, filter_bits: int, max_popcount_sum: int) -> float:
    """The smallest per-bit agreement probability of a pair whose Dice reaches *threshold*
    and whose popcounts sum to at most *max_popcount_sum* (see block.h)."""
    out = c_double()
    _L.require("tznr_lsh_agreement_bound", "LSH blocking")(byref(out), threshold, filter_bits,
                                                           max_popcount_sum)
    return out.value


def cpu_kernel() -> str:
    """Name of the comparison kernel in use: ``"avx512"``, ``"avx2"`` or ``"scalar"``."""
    return str(_L.require("tznr_cpu_kernel", "cpu_kernel()")().decode("ascii"))


def cpu_kernel_supported(name: str) -> bool:
    """Whether this CPU runs kernel *name* (``"scalar"``, ``"avx2"``, ``"avx512"``, ``"auto"``)."""
    return bool(_L.require("tznr_cpu_kernel_supported", "cpu_kernel_supported()")(
        name.encode("ascii")))


def set_cpu_kernel(name: str) -> None:
    """Force the comparison kernel for the whole process (results never depend on it).

    Raises:
        InvalidArgumentError: unknown name.
        UnsupportedError: this CPU cannot run it.
    """
    _L.require("tznr_cpu_set_kernel", "set_cpu_kernel()")(name.encode("ascii"))


def _match_options(threshold: float, threads: Optional[int], top_k: Optional[int],
                   blocking: Optional[LshIndex], progress: Optional[Callable[[int, int], Any]],
                   stats: Optional[MatchStats]) -> Tuple[Any, Optional[_Progress], Any]:
    if threads is not None and (not isinstance(threads, int) or threads < 0):
        raise ValueError(f"threads={threads!r}: expected an int >= 0 (0 = all CPUs)")
    if top_k is not None and (not isinstance(top_k, int) or top_k < 0):
        raise ValueError(f"top_k={top_k!r}: expected an int >= 0 (0 = no limit)")
    if blocking is not None and not isinstance(blocking, LshIndex):
        raise TypeError("blocking must be a tznr.LshIndex")
    opts = _L.MatchOptions()
    _lib.tznr_match_options_init(byref(opts))
    opts.threshold = float(threshold)
    if threads is not None:
        opts.threads = threads
    if top_k is not None:
        opts.top_k = top_k
    prog = None
    if progress is not None:
        prog = _Progress(progress)
        opts.progress = prog.c_fn
    st = None
    if stats is not None:
        st = _L.MatchStats()
        opts.stats = ctypes.pointer(st)
    return opts, prog, st


def match(a: Union[ClkSet, Iterable[BytesLike]], b: Union[ClkSet, Iterable[BytesLike]],
          threshold: float, *, solver: str = "greedy", threads: Optional[int] = None,
          top_k: Optional[int] = None, blocking: Optional[LshIndex] = None,
          progress: Optional[Callable[[int, int], Any]] = None,
          stats: Optional[MatchStats] = None, as_numpy: Optional[bool] = None,
          max_pairs: Optional[int] = None) -> Any:
    """Compare the filters of *a* with those of *b* (Dice coefficient) and link.

    Args:
        a, b: the two parties' filters: :class:`ClkSet` objects, iterables of bytes-likes or
            2-D uint8 numpy arrays, of equal filter length.
        threshold: minimum Dice score in [0, 1]; a pair is a candidate iff
            ``score >= threshold``.
        solver: ``"greedy"`` (default): 1:1 links, candidates accepted in global score order
            when neither record is linked yet (anonlink's greedy_solve); ``"none"``: every
            candidate pair.
        threads: worker threads; 0 or None (default): all online CPUs.
        top_k: keep only the k best candidates of each record of A (0/None: all).
        blocking: an :class:`LshIndex` to compare only the pairs it proposes (None:
            exhaustive search).
        progress: ``progress(done, total)`` (pairs, or LSH tables); return True to cancel.
        stats: a :class:`MatchStats` to fill in with the search's counters.
        as_numpy: True for a numpy structured array (fields ``a_index``, ``b_index``,
            ``score``; dtype :data:`LINK_DTYPE`), False for a list of :class:`Link`
            tuples; None (default) gives the array when numpy is installed, else the list.
        max_pairs: the most candidate pairs collected before solving (about 24 bytes
            each); one more raises :class:`LimitError`. None: the library default
            (``TZNR_MATCH_DEFAULT_MAX_PAIRS``, 20 million); 0: no limit. Use
            :func:`match_stream` for any number of pairs in bounded memory.

    The result does not depend on *threads* or on the comparison kernel.

    Returns:
        ``(a_index, b_index, score)`` rows (0-based), sorted by score descending, then
        a_index, then b_index: the same as ``tznr match``.

    Raises:
        InvalidArgumentError: threshold outside [0, 1] or NaN.
        BufferSizeError: *a* and *b* have different filter lengths.
        TznrMemoryError: out of memory (a :class:`MemoryError`).
        StateError: cancelled by *progress*.
        LimitError: more candidate pairs than *max_pairs* (the message gives the limit).
    """
    if max_pairs is not None and (not isinstance(max_pairs, int) or max_pairs < 0):
        raise ValueError(f"max_pairs={max_pairs!r}: expected an int >= 0 (0 = no limit)")
    if solver not in ("greedy", "none"):
        raise ValueError(f"solver {solver!r}: expected 'greedy' or 'none'")
    sa, sb = _clkset(a), _clkset(b)
    with_opts = _L.available("tznr_match")
    if not with_opts and (threads is not None or top_k is not None or blocking is not None
                          or progress is not None or stats is not None
                          or max_pairs is not None):
        _L.require("tznr_match", "match() options (threads, top_k, blocking, progress, stats)")
    with _Use(sa._res) as pa, _Use(sb._res) as pb:
        if len(sa) == 0 or len(sb) == 0:
            # nothing to compare (as `tznr match`); the threshold is still checked
            cands = _Candidates(_new_handle(_lib.tznr_candidates_new))
            if not (0.0 <= threshold <= 1.0):
                cands.close()
                raise InvalidArgumentError("threshold must be a number in [0, 1]")
        elif with_opts:
            opts, prog, st = _match_options(threshold, threads, top_k, blocking, progress,
                                            stats)
            if max_pairs is not None:
                opts.max_pairs = max_pairs
            try:
                with _reraise(prog):
                    if blocking is not None:
                        with _Use(blocking._res) as lp:
                            opts.lsh = lp
                            cands = _Candidates(_new_handle(_lib.tznr_match, pa, pb,
                                                            byref(opts)))
                    else:
                        cands = _Candidates(_new_handle(_lib.tznr_match, pa, pb, byref(opts)))
            finally:
                if st is not None:
                    stats._fill(st)  # type: ignore[union-attr]
        else:
            cands = _Candidates(_new_handle(_lib.tznr_match_all_pairs, pa, pb, float(threshold)))
    with cands:
        if solver == "none":
            return _read_candidates(cands._res.ptr, as_numpy)  # type: ignore[arg-type]
        links = _Candidates(_new_handle(_lib.tznr_solve_greedy, cands._res.ptr))
    with links:
        return _read_candidates(links._res.ptr, as_numpy)  # type: ignore[arg-type]


def match_stream(a: Union[ClkSet, Iterable[BytesLike]], b: Union[ClkSet, Iterable[BytesLike]],
                 threshold: float, sink: Callable[[List[Link]], Any], *,
                 threads: Optional[int] = None, top_k: Optional[int] = None,
                 blocking: Optional[LshIndex] = None,
                 progress: Optional[Callable[[int, int], Any]] = None,
                 stats: Optional[MatchStats] = None) -> bool:
    """Candidate search that hands the pairs to ``sink(chunk)`` (a list of :class:`Link`),
    a chunk at a time, on this thread; memory stays bounded whatever the number of pairs.
    Chunks come in an order that depends only on the inputs and options (see
    ``tznr_match_stream`` in compare.h); pairs within a chunk are sorted by a, then b.

    Options as :func:`match`. *sink* returns True to stop the search early.

    Returns:
        True if the search ran to the end, False if *sink* stopped it.

    Raises:
        As :func:`match`; an exception raised in *sink* stops the search and is re-raised.
    """
    fn = _L.require("tznr_match_stream", "match_stream()")
    sa, sb = _clkset(a), _clkset(b)
    opts, prog, st = _match_options(threshold, threads, top_k, blocking, progress, stats)
    state: Dict[str, Any] = {"stopped": False, "exc": None}

    def _sink(pairs: Any, n: int, user: Any) -> int:
        try:
            chunk = [Link(p.a, p.b, p.score) for p in pairs[:n]]
            if sink(chunk):
                state["stopped"] = True
                return 1
            return 0
        except BaseException as e:  # noqa: BLE001 - re-raised after the call
            state["exc"] = e
            return 1

    c_sink = _L.PAIR_SINK_FN(_sink)
    try:
        with _Use(sa._res) as pa, _Use(sb._res) as pb, _reraise(prog):
            if blocking is not None:
                with _Use(blocking._res) as lp:
                    opts.lsh = lp
                    fn(pa, pb, byref(opts), c_sink, None)
            else:
                fn(pa, pb, byref(opts), c_sink, None)
    except StateError:
        if state["exc"] is not None:
            raise state["exc"] from None
        if state["stopped"]:
            return False
        raise
    finally:
        if st is not None:
            stats._fill(st)  # type: ignore[union-attr]
    return True


def greedy_solve(candidates: Iterable[Any], *, as_numpy: Optional[bool] = None) -> Any:
    """Greedy 1:1 links from candidate pairs scored elsewhere.

    Args:
        candidates: ``(a_index, b_index, score)`` triples (any order; score in [0, 1]) or a
            structured array with those fields.
        as_numpy: as in :func:`match`.

    Returns:
        The accepted links, sorted as in :func:`match`.

    Raises:
        InvalidArgumentError: a score outside [0, 1] or NaN.
    """
    with _Candidates.from_pairs(candidates) as c:
        links = _Candidates(_new_handle(_lib.tznr_solve_greedy, c._res.ptr))
    with links:
        return _read_candidates(links._res.ptr, as_numpy)  # type: ignore[arg-type]


def write_links_csv(links: Iterable[Any], path: PathLike, *, force: bool = False,
                    sort: bool = False) -> None:
    """Write ``(a_index, b_index, score)`` rows as CSV ``a_index,b_index,score``, exactly as
    ``tznr match`` does (scores with the fewest digits that read back to the same double),
    atomically. ``"-"`` is standard output.

    Args:
        links: rows as returned by :func:`match` (list or structured array).
        path: destination.
        force: replace an existing file.
        sort: sort by score descending, then a_index, then b_index first (otherwise the
            rows are written in the order given).

    Raises:
        TznrFileExistsError: *path* exists and *force* is false.
        TznrIOError: writing failed (nothing is left at *path*).
        InvalidArgumentError: a score outside [0, 1].
    """
    with _Candidates.from_pairs(links) as c:
        if sort:
            _lib.tznr_candidates_sort(c._res.ptr)
        _lib.tznr_candidates_write_csv(c._res.ptr, _path(path), 1 if force else 0)


# --------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------

def generate_secret() -> str:
    """A new shared secret: 32 random bytes from OpenSSL's CSPRNG, as 44 characters of
    base64. Python cannot wipe the returned string: prefer :func:`generate_secret_file`.

    Raises:
        CryptoError: the random generator failed.
    """
    buf = ctypes.create_string_buffer(SECRET_TEXT_SIZE)
    try:
        _lib.tznr_secret_generate(buf, SECRET_TEXT_SIZE)
        return buf.value.decode("ascii")
    finally:
        ctypes.memset(buf, 0, SECRET_TEXT_SIZE)


def generate_secret_file(path: PathLike, *, force: bool = False) -> None:
    """Write a new shared secret (see :func:`generate_secret`) to a key file of mode 0600,
    atomically. The secret never passes through Python.

    Raises:
        TznrFileExistsError: *path* exists and *force* is false.
        TznrIOError: the file cannot be written.
        InvalidArgumentError: *path* is ``"-"`` (standard output is refused).
    """
    _lib.tznr_secret_generate_file(_path(path), 1 if force else 0)
