"""Safe loading of result files: plain NumPy/Python data only, within bounds, never code.

A pickle can name any importable callable (``os.system``, ``builtins.eval``...) and have it called
while loading, or declare far more data than it holds. Result files are read with the
restricted, bounded unpickler of :mod:`fl_pytorch.utils.safe_pickle`: only NumPy's helpers that
rebuild arrays, dtypes and scalars, at most :data:`MAX_RESULT_BYTES` per file, a bounded number
of opcodes, and no declared size beyond the file's own. :func:`validate_result` then bounds
nesting depth and element count. Opening a result file from someone else cannot run code, and
any file at all gives a :class:`ResultError` (one line), never a crash.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..utils.safe_pickle import (
    CORRUPT_PICKLE_ERRORS,
    PickleLimitError,
    UnsafePickleError,
    load_plain,
)
from .format import FORMAT, VERSION, ResultError, validate_result

MAX_RESULT_BYTES = 2 * 1024**3  # a ResNet-152's final parameters take 240 MB


class UnsafeResultError(ResultError):
    """The file references a Python global outside the whitelist; it was not loaded."""


def loads_result(data: bytes, source: str = "<bytes>") -> dict:
    """Unpickle and check result bytes (see :func:`load_result`); ``source`` names the origin."""
    if not data:
        raise ResultError(f"{source}: empty file, not a result file")
    try:
        obj = load_plain(data)
    except UnsafePickleError as e:
        raise UnsafeResultError(f"{source}: {e}") from None
    except PickleLimitError as e:
        what = "exceeds the loader's bounds" if data[:1] == b"\x80" else "not a pickle"
        raise ResultError(f"{source}: not a valid result file ({what}: {e})") from None
    except CORRUPT_PICKLE_ERRORS as e:
        what = "corrupt or truncated pickle" if data[:1] == b"\x80" else "not a pickle"
        raise ResultError(f"{source}: not a valid result file ({what}: "
                          f"{type(e).__name__}: {str(e)[:200]})") from None
    if type(obj) is not dict or not isinstance(obj.get("format"), str) or obj["format"] != FORMAT:
        raise ResultError(f"{source}: not an fl_pytorch result file "
                          f"(expected format {FORMAT!r})")
    version = obj.get("version")
    if isinstance(version, int) and version > VERSION:
        raise ResultError(f"{source}: written by a newer fl_pytorch (result format version "
                          f"{version}; this version reads up to {VERSION}); please upgrade")
    try:
        validate_result(obj)
    except ResultError as e:
        raise ResultError(f"{source}: invalid result file: {e}") from None
    except RecursionError:  # e.g. the repr of a deeply nested 'version' for the message
        raise ResultError(f"{source}: invalid result file: nested too deeply") from None
    return obj


def load_result(path: str | Path) -> dict:
    """Load one result file without running any code from it.

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeResultError: the pickle references a global other than NumPy's rebuild helpers.
        ResultError: not a pickle, not an fl_pytorch result, a newer format version, or invalid.
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"result file not found: {path}") from None
    except (OSError, ValueError) as e:
        raise ResultError(f"{path}: cannot read it ({e})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ResultError(f"{path}: is a directory, not a result file")
    if not stat.S_ISREG(info.st_mode):
        raise ResultError(f"{path}: not a regular file, not a result file")
    if info.st_size > MAX_RESULT_BYTES:
        raise ResultError(f"{path}: {info.st_size} bytes; result files this loader reads have "
                          f"at most {MAX_RESULT_BYTES}")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_RESULT_BYTES + 1)
    except OSError as e:
        raise ResultError(f"{path}: cannot read it ({e.strerror or e})") from None
    if len(data) > MAX_RESULT_BYTES:
        raise ResultError(f"{path}: more than {MAX_RESULT_BYTES} bytes")
    return loads_result(data, str(path))


def load_results(paths: Iterable[str | Path]) -> list[dict]:
    """Load several result files (in the given order); the first bad file raises."""
    return [load_result(p) for p in paths]
