"""Safe loading of result files: a restricted unpickler that can build NumPy data and nothing else.

A pickle can name any importable callable (``os.system``, ``builtins.eval``...) and have it called
while loading. :class:`SafeUnpickler` refuses every global except the few NumPy functions that
rebuild arrays, dtypes and scalars, so opening a result file from someone else cannot run code.
"""

from __future__ import annotations

import io
import pickle
import struct
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .format import FORMAT, VERSION, ResultError, validate_result

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]
    from numpy.core import numeric as _numeric  # type: ignore[no-redef]


class UnsafeResultError(ResultError):
    """The file references a Python global outside the whitelist; it was not loaded."""


def _fresh_dtype() -> Callable[..., np.dtype]:
    # Always copy, so a crafted BUILD/__setstate__ cannot alter NumPy's shared built-in dtypes.
    def dtype(obj: Any, align: bool = False, copy: bool = True) -> np.dtype:
        return np.dtype(obj, bool(align), True)
    return dtype


def _fresh_frombuffer() -> Callable[..., np.ndarray]:
    # A new wrapper per use: a crafted BUILD can only alter this throwaway function.
    def frombuffer(buf: Any, dtype: np.dtype, shape: Any, order: str) -> np.ndarray:
        return _numeric._frombuffer(buf, dtype, shape, order)
    return frombuffer


def _allowed_globals() -> dict[tuple[str, str], Callable[[], Any]]:
    """(module, name) -> factory, for numpy 2.x (``numpy._core``) and 1.x (``numpy.core``) files."""
    allowed: dict[tuple[str, str], Callable[[], Any]] = {
        ("numpy", "ndarray"): lambda: np.ndarray,
        ("numpy", "dtype"): _fresh_dtype,
    }
    for package in ("numpy._core", "numpy.core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = lambda: _multiarray._reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = lambda: _multiarray.scalar
        # Arrays pickled with protocol 5 are rebuilt by _frombuffer (numeric data only).
        allowed[(f"{package}.numeric", "_frombuffer")] = _fresh_frombuffer
    return allowed


ALLOWED_GLOBALS = _allowed_globals()
"""The only globals a result file may reference: what NumPy needs to rebuild arrays and scalars."""


class SafeUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` only resolves :data:`ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        factory = ALLOWED_GLOBALS.get((module, name))
        if factory is None:
            raise UnsafeResultError(
                f"refused to load: the file references '{module}.{name}', which could run code; "
                "result files may contain only plain Python/NumPy data")
        return factory()


# What truncated or corrupt pickle data can raise while loading.
_CORRUPT_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                          LookupError, ArithmeticError, struct.error, MemoryError, RecursionError)


def loads_result(data: bytes, source: str = "<bytes>") -> dict:
    """Unpickle and check result bytes (see :func:`load_result`); ``source`` names the origin."""
    if not data:
        raise ResultError(f"{source}: empty file, not a result file")
    try:
        obj = SafeUnpickler(io.BytesIO(data)).load()
    except UnsafeResultError as e:
        raise UnsafeResultError(f"{source}: {e}") from None
    except _CORRUPT_PICKLE_ERRORS as e:
        what = "corrupt or truncated pickle" if data[:1] == b"\x80" else "not a pickle"
        raise ResultError(f"{source}: not a valid result file ({what}: "
                          f"{type(e).__name__}: {e})") from None
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
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"result file not found: {path}") from None
    except IsADirectoryError:
        raise ResultError(f"{path}: is a directory, not a result file") from None
    return loads_result(data, str(path))


def load_results(paths: Iterable[str | Path]) -> list[dict]:
    """Load several result files (in the given order); the first bad file raises."""
    return [load_result(p) for p in paths]
