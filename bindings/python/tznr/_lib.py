"""Loading of libtznr and the ctypes prototypes of every exported function.

This module is private: use the classes and functions of :mod:`tznr`.

The library is searched, in this order:

1. the path in the ``TZNR_LIBRARY`` environment variable (an error if it does not load);
2. a copy next to this package (``libtznr.so.0``, ``libtznr.so``, ``libtznr.dylib``,
   ``tznr.dll``);
3. the system's library search path (:func:`ctypes.util.find_library`).

Every exported function of ``src/libtznr.map`` has an entry in :data:`PROTOTYPES`
(a test checks the two lists and the C headers against each other). A function that
returns a ``tznr_error_t`` status gets an ``errcheck`` that turns a non-zero status into
the matching :class:`tznr.TznrError` subclass, reading the calling thread's detail message
right after the call, on the same thread.

ctypes releases the GIL for the duration of every call into a ``CDLL``: long calls
(encoding, matching) let other Python threads run.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int, c_long,
                    c_size_t, c_uint, c_uint8, c_uint32, c_uint64, c_void_p)
from typing import Any, Callable, Dict, List, Sequence, Tuple

from ._errors import error_from_status

__all__ = ["lib", "library_path", "PROTOTYPES", "MIN_VERSION", "available", "require",
           "PROGRESS_FN", "PAIR_SINK_FN", "EncodeOptions", "MatchOptions", "MatchStats", "Pair",
           "STRUCTS", "CALLBACKS"]

#: Oldest library version (MAJOR*10000 + MINOR*100 + PATCH) whose API this package binds.
MIN_VERSION = 100
#: Libraries with a different major version are refused (incompatible API).
_MAJOR = MIN_VERSION // 10000

#: ``typedef int (*tznr_progress_fn)(uint64_t done, uint64_t total, void *user)``
PROGRESS_FN = CFUNCTYPE(c_int, c_uint64, c_uint64, c_void_p)


class EncodeOptions(Structure):
    """``tznr_encode_options`` (encoder.h). Initialise with ``tznr_encode_options_init``."""
    _fields_ = [("size", c_size_t), ("threads", c_uint), ("memo", c_int),
                ("memo_max_bytes", c_size_t), ("progress", PROGRESS_FN),
                ("progress_user", c_void_p)]


class MatchStats(Structure):
    """``tznr_match_stats_t`` (compare.h)."""
    _fields_ = [("pairs_total", c_uint64), ("comparisons", c_uint64),
                ("candidates", c_uint64), ("pairs_out", c_uint64), ("threads", c_uint),
                ("kernel", c_char_p)]


class MatchOptions(Structure):
    """``tznr_match_options_t`` (compare.h). Initialise with ``tznr_match_options_init``."""
    _fields_ = [("size", c_size_t), ("threshold", c_double), ("threads", c_uint),
                ("top_k", c_size_t), ("lsh", c_void_p), ("progress", PROGRESS_FN),
                ("progress_user", c_void_p), ("stats", POINTER(MatchStats)),
                ("max_pairs", c_uint64)]


class Pair(Structure):
    """``tznr_pair_t`` (compare.h): one candidate pair delivered to a sink."""
    _fields_ = [("a", c_uint64), ("b", c_uint64), ("score", c_double)]


#: ``typedef int (*tznr_pair_sink_fn)(const tznr_pair_t *pairs, size_t n, void *user)``
PAIR_SINK_FN = CFUNCTYPE(c_int, POINTER(Pair), c_size_t, c_void_p)

#: C struct name -> ctypes Structure (checked against the headers by the tests).
STRUCTS = {"tznr_encode_options": EncodeOptions, "tznr_match_stats_t": MatchStats,
           "tznr_match_options_t": MatchOptions, "tznr_pair_t": Pair}
#: C function-pointer typedef -> ctypes type.
CALLBACKS = {"tznr_progress_fn": PROGRESS_FN, "tznr_pair_sink_fn": PAIR_SINK_FN}

# Marker for functions returning tznr_error_t: restype c_int plus the errcheck below.
STATUS = "status"

_P = c_void_p                  # opaque handle (tznr_schema_t * ...) or a byte buffer
_PP = POINTER(c_void_p)        # handle out-parameter (tznr_schema_t **out)
_SIZE_P = POINTER(c_size_t)
_U64_P = POINTER(c_uint64)
_U32_P = POINTER(c_uint32)
_UINT_P = POINTER(c_uint)
_INT_P = POINTER(c_int)
_DOUBLE_P = POINTER(c_double)
_ENC_OPTS = POINTER(EncodeOptions)
_MATCH_OPTS = POINTER(MatchOptions)

#: name -> (restype, argtypes), for every function of src/libtznr.map, in its order
#: (alphabetical). The tests compare this table with the map and with the headers.
PROTOTYPES: Dict[str, Tuple[Any, Sequence[Any]]] = {
    "tznr_audit_class_sizes": (c_size_t, [_P, _U64_P, _U64_P, c_size_t]),
    "tznr_audit_field_count": (c_size_t, [_P]),
    "tznr_audit_field_name": (c_char_p, [_P, c_size_t]),
    "tznr_audit_field_stat": (c_double, [_P, c_size_t, c_int]),
    "tznr_audit_field_top": (c_size_t, [_P, c_size_t, _U64_P, c_size_t]),
    "tznr_audit_free": (None, [_P]),
    "tznr_audit_new_from_clkset": (STATUS, [_PP, _P]),
    "tznr_audit_new_from_container": (STATUS, [_PP, _P]),
    "tznr_audit_new_from_file": (STATUS, [_PP, c_char_p]),
    "tznr_audit_stat": (c_double, [_P, c_int]),
    "tznr_audit_write_json": (STATUS, [_P, c_char_p, c_int]),
    "tznr_candidates_add": (STATUS, [_P, c_uint64, c_uint64, c_double]),
    "tznr_candidates_count": (c_size_t, [_P]),
    "tznr_abort_outputs": (None, []),
    "tznr_candidates_free": (None, [_P]),
    "tznr_candidates_get": (STATUS, [_P, c_size_t, _U64_P, _U64_P, _DOUBLE_P]),
    "tznr_candidates_new": (STATUS, [_PP]),
    "tznr_candidates_sort": (None, [_P]),
    "tznr_candidates_write_csv": (STATUS, [_P, c_char_p, c_int]),
    "tznr_clkset_append": (STATUS, [_P, _P, c_size_t]),
    "tznr_clkset_count": (c_size_t, [_P]),
    "tznr_clkset_filter_bits": (c_size_t, [_P]),
    "tznr_clkset_free": (None, [_P]),
    "tznr_clkset_get": (_P, [_P, c_size_t]),
    "tznr_clkset_new": (STATUS, [_PP, c_size_t]),
    "tznr_clkset_read_json": (STATUS, [_PP, c_char_p]),
    "tznr_clkset_write_json": (STATUS, [_P, c_char_p, c_int]),
    "tznr_container_append": (STATUS, [_P, c_char_p, c_size_t, _P, c_size_t, _P, c_size_t]),
    "tznr_container_clk": (_P, [_P, c_size_t]),
    "tznr_container_clk_bits": (c_size_t, [_P]),
    "tznr_container_clks": (STATUS, [_P, _PP]),
    "tznr_container_count": (c_size_t, [_P]),
    "tznr_container_field_bits": (c_size_t, [_P]),
    "tznr_container_field_count": (c_size_t, [_P]),
    "tznr_container_field_filter": (_P, [_P, c_size_t, c_size_t]),
    "tznr_container_field_group": (c_char_p, [_P, c_size_t]),
    "tznr_container_field_levels": (c_size_t, [_P, c_size_t, _DOUBLE_P, c_size_t]),
    "tznr_container_field_name": (c_char_p, [_P, c_size_t]),
    "tznr_container_fingerprint": (STATUS, [_P, _P, c_size_t]),
    "tznr_container_free": (None, [_P]),
    "tznr_container_id": (_P, [_P, c_size_t, _SIZE_P]),
    "tznr_container_new": (STATUS, [_PP, _P]),
    "tznr_container_read": (STATUS, [_PP, c_char_p]),
    "tznr_container_write": (STATUS, [_P, c_char_p, c_int]),
    "tznr_cpu_kernel": (c_char_p, []),
    "tznr_cpu_kernel_supported": (c_int, [c_char_p]),
    "tznr_cpu_set_kernel": (STATUS, [c_char_p]),
    "tznr_encode_options_init": (None, [_ENC_OPTS]),
    "tznr_encoder_clk_bytes": (c_size_t, [_P]),
    "tznr_encoder_encode_batch": (STATUS, [_P, _P, _P, c_size_t, c_size_t, _P, c_size_t]),
    "tznr_encoder_encode_batch_opts": (STATUS, [_P, _P, _P, c_size_t, c_size_t, _P, c_size_t,
                                                _ENC_OPTS]),
    "tznr_encoder_encode_csv": (STATUS, [_P, c_char_p, _PP]),
    "tznr_encoder_encode_csv_container": (STATUS, [_P, c_char_p, _PP]),
    "tznr_encoder_encode_csv_opts": (STATUS, [_P, c_char_p, _ENC_OPTS, _PP]),
    "tznr_encoder_encode_csv_to_json": (STATUS, [_P, c_char_p, c_char_p, c_int, _ENC_OPTS]),
    "tznr_encoder_encode_record": (STATUS, [_P, _P, _P, c_size_t, _P, c_size_t]),
    "tznr_encoder_free": (None, [_P]),
    "tznr_encoder_new": (STATUS, [_PP, _P, _P, c_size_t]),
    "tznr_encoder_new_from_secret_file": (STATUS, [_PP, _P, c_char_p]),
    "tznr_filter_dice": (STATUS, [_DOUBLE_P, _P, _P, c_size_t]),
    "tznr_filter_popcount": (STATUS, [_U64_P, _P, c_size_t]),
    "tznr_filter_topk": (STATUS, [_P, _P, _SIZE_P, _P, _P, _P, c_size_t, c_size_t, c_double,
                                  c_size_t]),
    "tznr_fs_em": (STATUS, [_P, _P, c_uint, c_double, _UINT_P, _DOUBLE_P, _INT_P]),
    "tznr_fs_level_weight": (STATUS, [_DOUBLE_P, _P, c_size_t, c_uint8]),
    "tznr_fs_model_field_informative": (c_int, [_P, c_size_t]),
    "tznr_fs_model_fields": (c_size_t, [_P]),
    "tznr_fs_model_fix": (STATUS, [_P, c_int, c_int]),
    "tznr_fs_model_free": (None, [_P]),
    "tznr_fs_model_get_params": (STATUS, [_P, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P]),
    "tznr_fs_model_levels": (c_size_t, [_P, c_size_t]),
    "tznr_fs_model_new": (STATUS, [_PP, c_size_t, _P]),
    "tznr_fs_model_set_params": (STATUS, [_P, c_double, _DOUBLE_P, _DOUBLE_P]),
    "tznr_fs_patterns_add": (STATUS, [_P, _P, c_uint64]),
    "tznr_fs_patterns_distinct": (c_size_t, [_P]),
    "tznr_fs_patterns_free": (None, [_P]),
    "tznr_fs_patterns_new": (STATUS, [_PP, c_size_t]),
    "tznr_fs_patterns_total": (c_uint64, [_P]),
    "tznr_fs_prior_from_rule": (STATUS, [_DOUBLE_P, c_uint64, c_double, c_uint64]),
    "tznr_fs_score": (STATUS, [_DOUBLE_P, _DOUBLE_P, _DOUBLE_P, _P, _P]),
    "tznr_last_error_message": (c_char_p, []),
    "tznr_link_column_count": (c_size_t, [_P]),
    "tznr_link_column_fields": (c_size_t, [_P, c_size_t, _SIZE_P, c_size_t]),
    "tznr_link_column_name": (c_char_p, [_P, c_size_t]),
    "tznr_link_compare": (STATUS, [_P, _P, c_size_t, _P, c_size_t]),
    "tznr_link_dedupe": (STATUS, [_PP, _P, _P]),
    "tznr_link_result_cluster": (c_uint64, [_P, c_uint64]),
    "tznr_link_result_count": (c_size_t, [_P]),
    "tznr_link_result_estimates": (STATUS, [_P, _DOUBLE_P, _DOUBLE_P]),
    "tznr_link_result_free": (None, [_P]),
    "tznr_link_result_get": (STATUS, [_P, c_size_t, _U64_P, _U64_P, _DOUBLE_P, _DOUBLE_P]),
    "tznr_link_result_model": (_P, [_P]),
    "tznr_link_result_stats": (STATUS, [_P, _UINT_P, _DOUBLE_P, _INT_P, _U64_P, _U64_P]),
    "tznr_link_result_write_clusters": (STATUS, [_P, c_char_p, c_int]),
    "tznr_link_result_write_links": (STATUS, [_P, c_char_p, c_int]),
    "tznr_link_result_write_report": (STATUS, [_P, c_char_p, c_int]),
    "tznr_link_two": (STATUS, [_PP, _P, _P, _P]),
    "tznr_linker_free": (None, [_P]),
    "tznr_linker_new": (STATUS, [_PP]),
    "tznr_linker_set_em": (STATUS, [_P, c_uint, c_double]),
    "tznr_linker_set_max_links": (STATUS, [_P, c_uint64]),
    "tznr_linker_set_model": (STATUS, [_P, _P, c_int, c_int]),
    "tznr_linker_set_prefilter": (STATUS, [_P, c_double]),
    "tznr_linker_set_progress": (STATUS, [_P, PROGRESS_FN, _P]),
    "tznr_linker_set_threads": (STATUS, [_P, c_uint]),
    "tznr_linker_set_threshold": (STATUS, [_P, c_double]),
    "tznr_linker_set_u_from_random": (STATUS, [_P, c_uint64, c_uint64]),
    "tznr_lsh_agreement_bound": (STATUS, [_DOUBLE_P, c_double, c_size_t, c_uint64]),
    "tznr_lsh_candidate_probability": (c_double, [c_double, c_uint, c_uint]),
    "tznr_lsh_choose": (STATUS, [_UINT_P, _UINT_P, _P, _P, c_double, c_double, c_int]),
    "tznr_lsh_filter_bits": (c_size_t, [_P]),
    "tznr_lsh_free": (None, [_P]),
    "tznr_lsh_k": (c_uint, [_P]),
    "tznr_lsh_new": (STATUS, [_PP, c_size_t, c_uint, c_uint, c_uint64]),
    "tznr_lsh_position": (STATUS, [_U32_P, _P, c_uint, c_uint]),
    "tznr_lsh_recall": (STATUS, [_DOUBLE_P, _DOUBLE_P, _P, _P, c_double, c_uint, c_uint]),
    "tznr_lsh_seed": (c_uint64, [_P]),
    "tznr_lsh_tables": (c_uint, [_P]),
    "tznr_match": (STATUS, [_PP, _P, _P, _MATCH_OPTS]),
    "tznr_match_all_pairs": (STATUS, [_PP, _P, _P, c_double]),
    "tznr_match_options_init": (None, [_MATCH_OPTS]),
    "tznr_match_stream": (STATUS, [_P, _P, _MATCH_OPTS, PAIR_SINK_FN, _P]),
    "tznr_schema_feature_count": (c_size_t, [_P]),
    "tznr_schema_feature_group": (c_char_p, [_P, c_size_t]),
    "tznr_schema_feature_is_ignored": (c_int, [_P, c_size_t]),
    "tznr_schema_feature_levels": (c_size_t, [_P, c_size_t, _DOUBLE_P, c_size_t]),
    "tznr_schema_feature_name": (c_char_p, [_P, c_size_t]),
    "tznr_schema_filter_bits": (c_size_t, [_P]),
    "tznr_schema_fingerprint": (STATUS, [_P, _P, c_size_t]),
    "tznr_schema_free": (None, [_P]),
    "tznr_schema_id_column": (c_long, [_P]),
    "tznr_schema_new_from_file": (STATUS, [_PP, c_char_p]),
    "tznr_schema_new_from_json": (STATUS, [_PP, c_char_p, c_size_t]),
    "tznr_secret_generate": (STATUS, [_P, c_size_t]),
    "tznr_secret_generate_file": (STATUS, [c_char_p, c_int]),
    "tznr_solve_greedy": (STATUS, [_PP, _P]),
    "tznr_strerror": (c_char_p, [c_int]),
    "tznr_version_number": (c_uint, []),
    "tznr_version_string": (c_char_p, []),
}


def _candidate_paths() -> List[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    return [os.path.join(here, n)
            for n in ("libtznr.so.0", "libtznr.so", "libtznr.dylib", "tznr.dll")]


def _load() -> Tuple[ctypes.CDLL, str]:
    env = os.environ.get("TZNR_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise ImportError(f"tznr: TZNR_LIBRARY={env!r} cannot be loaded: {e}") from e
    for path in _candidate_paths():
        if os.path.exists(path):
            try:
                return ctypes.CDLL(path), path
            except OSError as e:
                raise ImportError(f"tznr: {path} cannot be loaded: {e}") from e
    name = ctypes.util.find_library("tznr")
    if name:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            raise ImportError(f"tznr: the system's {name} cannot be loaded: {e}") from e
    raise ImportError(
        "tznr: libtznr not found. Set TZNR_LIBRARY to the path of libtznr.so (for a build "
        "tree: build/src/libtznr.so), put a copy next to the tznr package, or install the "
        "library (meson install, then ldconfig).")


def _errcheck(result: int, func: Any, args: Tuple[Any, ...]) -> Any:
    if result != 0:
        # Same thread, right after the failing call: the detail is the one of this call.
        detail = _lib.tznr_last_error_message()
        text = detail.decode("utf-8", "replace").rstrip() if detail else ""
        raise error_from_status(result, text,
                                _lib.tznr_strerror(result).decode("utf-8", "replace"))
    return args


def _declare(cdll: ctypes.CDLL) -> Dict[str, bool]:
    present = {}
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            present[name] = False   # an older library: the Python feature says so when used
            continue
        fn.argtypes = list(argtypes)
        if restype is STATUS:
            fn.restype = c_int
            fn.errcheck = _errcheck
        else:
            fn.restype = restype
        present[name] = True
    return present


_lib, library_path = _load()
lib = _lib
_present = _declare(_lib)

_missing_core = [n for n in ("tznr_version_number", "tznr_version_string", "tznr_strerror",
                             "tznr_last_error_message") if not _present[n]]
if _missing_core:
    raise ImportError(f"tznr: {library_path} is not libtznr (missing {', '.join(_missing_core)})")

version_number: int = int(_lib.tznr_version_number())
version_string: str = _lib.tznr_version_string().decode("ascii", "replace")
if version_number // 10000 != _MAJOR or version_number < MIN_VERSION:
    raise ImportError(
        f"tznr: {library_path} is libtznr {version_string}; this Python package needs "
        f"{_MAJOR}.{MIN_VERSION // 100 % 100}.{MIN_VERSION % 100} or a later {_MAJOR}.x")


def available(name: str) -> bool:
    """Whether the loaded library exports the C function *name*."""
    return _present.get(name, False)


def require(name: str, feature: str) -> Callable[..., Any]:
    """The C function *name*, or NotImplementedError naming *feature* if the library is older."""
    if not _present.get(name, False):
        raise NotImplementedError(
            f"{feature} needs {name}(), which libtznr {version_string} ({library_path}) "
            f"does not export; use a newer libtznr")
    return getattr(_lib, name)  # type: ignore[no-any-return]


def size_t_typecode() -> str:
    """The :mod:`array` typecode with the size of C ``size_t``."""
    import array
    for code in ("Q", "L", "I"):
        if array.array(code).itemsize == ctypes.sizeof(c_size_t):
            return code
    raise ImportError("tznr: no array typecode matches size_t")  # pragma: no cover

