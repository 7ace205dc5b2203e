"""Status codes of libtznr (include/tznr/common.h) and the exceptions they become."""
from __future__ import annotations

import errno as _errno
from typing import Dict, Optional, Type

__all__ = [
    "TznrError", "InvalidArgumentError", "TznrMemoryError", "BufferSizeError", "StateError",
    "CryptoError", "UnsupportedError", "TznrIOError", "SchemaError", "InputError",
    "FormatError", "TznrFileExistsError", "LimitError", "CODES", "error_from_status",
]

#: Status codes of ``tznr_error_t``, by name. Frozen once released, only appended to.
CODES: Dict[str, int] = {
    "TZNR_OK": 0,
    "TZNR_EINVAL": -1,
    "TZNR_ENOMEM": -2,
    "TZNR_EBUFSIZE": -3,
    "TZNR_ESTATE": -4,
    "TZNR_ECRYPTO": -5,
    "TZNR_EUNSUPPORTED": -6,
    "TZNR_EIO": -7,
    "TZNR_ESCHEMA": -8,
    "TZNR_EINPUT": -9,
    "TZNR_EFORMAT": -10,
    "TZNR_EEXIST": -11,
    "TZNR_ELIMIT": -12,
}
_NAMES = {v: k for k, v in CODES.items()}


class TznrError(Exception):
    """A libtznr call failed.

    Attributes:
        code: the ``tznr_error_t`` status (a negative int, see :data:`CODES`).
        name: its name, e.g. ``"TZNR_EINPUT"``.
        message: the library's detail for the failing call (file, line, column, JSON path
            and rule where they apply), or the generic text of the code if there is none.
            Never contains secret material.

    Every subclass also derives from the builtin exception that fits, so that
    ``except ValueError`` or ``except OSError`` catch what one expects.
    """

    code: int = -1
    name: str = "TZNR_EUNKNOWN"
    message: str

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        if code is not None:
            self.code = code
            self.name = _NAMES.get(code, f"unknown status {code}")
        self.message = message
        Exception.__init__(self, message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code} [{self.name}])"


class InvalidArgumentError(TznrError, ValueError):
    """``TZNR_EINVAL``: invalid argument (out-of-range value, wrong length, empty secret...)."""
    code, name = -1, "TZNR_EINVAL"


class TznrMemoryError(TznrError, MemoryError):
    """``TZNR_ENOMEM``: the library ran out of memory."""
    code, name = -2, "TZNR_ENOMEM"


class BufferSizeError(TznrError, ValueError):
    """``TZNR_EBUFSIZE``: a buffer or filter has the wrong size (e.g. filters of two lengths)."""
    code, name = -3, "TZNR_EBUFSIZE"


class StateError(TznrError, RuntimeError):
    """``TZNR_ESTATE``: call not allowed in the object's state, or cancelled by a callback."""
    code, name = -4, "TZNR_ESTATE"


class CryptoError(TznrError, RuntimeError):
    """``TZNR_ECRYPTO``: OpenSSL reported a failure."""
    code, name = -5, "TZNR_ECRYPTO"


class UnsupportedError(TznrError, ValueError):
    """``TZNR_EUNSUPPORTED``: a valid but unsupported option."""
    code, name = -6, "TZNR_EUNSUPPORTED"


class _OSErrorMixin(TznrError):
    _errno: Optional[int] = None

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        TznrError.__init__(self, message, code)
        # OSError's own constructor would parse (errno, strerror); set the fields instead.
        setattr(self, "errno", self._errno)   # None for TZNR_EIO, EEXIST for TZNR_EEXIST
        setattr(self, "strerror", message)


class TznrIOError(_OSErrorMixin, OSError):
    """``TZNR_EIO``: a file could not be opened, read, written or renamed."""
    code, name = -7, "TZNR_EIO"


class SchemaError(TznrError, ValueError):
    """``TZNR_ESCHEMA``: invalid linkage schema; the message names the JSON path and rule."""
    code, name = -8, "TZNR_ESCHEMA"


class InputError(TznrError, ValueError):
    """``TZNR_EINPUT``: invalid input records; the message lists each failure
    (``FILE:LINE: column 'NAME': RULE`` or ``record R: column 'NAME': RULE``)."""
    code, name = -9, "TZNR_EINPUT"


class FormatError(TznrError, ValueError):
    """``TZNR_EFORMAT``: a malformed encoded file (e.g. a CLK JSON file) or base64 text."""
    code, name = -10, "TZNR_EFORMAT"


class TznrFileExistsError(_OSErrorMixin, FileExistsError):
    """``TZNR_EEXIST``: the output file exists and ``force`` was not given."""
    code, name = -11, "TZNR_EEXIST"
    _errno = _errno.EEXIST


class LimitError(TznrError, ValueError):
    """``TZNR_ELIMIT``: a documented size limit was exceeded."""
    code, name = -12, "TZNR_ELIMIT"


_CLASSES: Dict[int, Type[TznrError]] = {
    c.code: c for c in (InvalidArgumentError, TznrMemoryError, BufferSizeError, StateError,
                        CryptoError, UnsupportedError, TznrIOError, SchemaError, InputError,
                        FormatError, TznrFileExistsError, LimitError)
}


def error_from_status(code: int, detail: str = "", generic: str = "") -> TznrError:
    """The exception for status *code* with the library's *detail* message.

    An unknown code (from a newer library) gives a plain :class:`TznrError`.
    """
    cls = _CLASSES.get(code)
    message = detail or generic or f"tznr error {code}"
    if cls is None:
        return TznrError(message, code)
    return cls(message)
