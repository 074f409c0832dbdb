"""Restricted, bounded unpickling of plain data: NumPy arrays and Python containers, nothing else.

A pickle can name any importable callable and have it called while loading; it can also ask
for far more memory than it occupies. :class:`PlainUnpickler` resolves only the NumPy helpers
that rebuild arrays, dtypes and scalars (so no code runs), and before anything is built
:func:`scan` walks the opcodes to bound their number and the memo indices (a crafted
``LONG_BINPUT 4294967295`` would make CPython's unpickler allocate and clear a 32 GiB memo).
The NumPy helpers are wrapped so that no array, dtype or scalar may claim more bytes than the
whole file holds: a 400-byte file declaring a 10**8-element array is refused at once instead
of costing gigabytes. Used by the result loader and the CIFAR reader.
"""

from __future__ import annotations

import functools
import io
import math
import pickle
import pickletools
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]
    from numpy.core import numeric as _numeric  # type: ignore[no-redef]

MAX_OPCODES = 2_000_000  # a result of 100 000 clients needs well under a million
_PUTS = ("PUT", "BINPUT", "LONG_BINPUT")
_GETS = ("GET", "BINGET", "LONG_BINGET")
_TUPLES = ("EMPTY_TUPLE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "FROZENSET")
MAX_TUPLE_DEPTH = 32


class PickleLimitError(ValueError):
    """The pickle exceeds a bound (opcodes, memo, declared sizes); nothing big was built."""


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle references a global outside the whitelist; it was not loaded."""


#: what truncated or corrupt pickle data can raise while loading
CORRUPT_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError,
                         AttributeError, LookupError, ArithmeticError, struct.error, MemoryError,
                         RecursionError)


def scan(data: bytes) -> None:
    """Walk the opcodes of ``data`` without building anything.

    Raises:
        PickleLimitError: too many opcodes, a memo index no honest pickler writes, or tuples
            nested too deeply (CPython hashes dict keys recursively in C: a million nested
            tuples as a key crash the interpreter).
        ValueError: truncated or corrupt opcode stream.
    """
    depths = _TupleDepths()
    for count, (op, arg, _pos) in enumerate(pickletools.genops(data), 1):
        if count > MAX_OPCODES:
            raise PickleLimitError(f"more than {MAX_OPCODES} pickle opcodes")
        if op.name in _PUTS or op.name in _GETS:
            if not isinstance(arg, int) or not 0 <= arg < count:
                raise PickleLimitError(f"memo index {arg} at opcode {count}")
        depths.step(op, arg)


class _TupleDepths:
    """How deeply tuples (and frozensets) nest, by simulating the unpickler's stack.

    Tuples are immutable, so a tuple's depth is fixed when it is built: one more than its
    deepest tuple item. Anything else counts 0 (lists and dicts cannot be hashed, so they end
    any recursive hash).
    """

    def __init__(self) -> None:
        self.stack: list[int] = []
        self.marks: list[int] = []
        self.memo: dict[int, int] = {}

    def _pop(self, below_mark: int, count: int) -> list[int]:
        """Pop ``count`` items; when ``below_mark`` >= 0, up to the last mark instead.

        ``below_mark`` items under the mark go too (e.g. the list of APPENDS).
        """
        if below_mark >= 0:
            start = max(0, (self.marks.pop() if self.marks else 0) - below_mark)
        else:
            start = max(0, len(self.stack) - count)
        popped = self.stack[start:]
        del self.stack[start:]
        return popped

    def step(self, op: Any, arg: Any) -> None:
        name = op.name
        if name in _PUTS or name == "MEMOIZE":
            index = arg if name != "MEMOIZE" else len(self.memo)
            self.memo[index] = self.stack[-1] if self.stack else 0
            return
        below_mark, count, pushes = _effect(op)
        popped = self._pop(below_mark, count) if below_mark >= 0 or count else []
        if name == "MARK":
            self.marks.append(len(self.stack))
        elif name in _GETS:
            self.stack.append(self.memo.get(arg, 0))
        elif name in _TUPLES:
            depth = 1 + max(popped, default=0)
            if depth > MAX_TUPLE_DEPTH:
                raise PickleLimitError(f"tuples nested more than {MAX_TUPLE_DEPTH} deep")
            self.stack.append(depth)
        elif pushes:
            self.stack.extend([0] * pushes)


@functools.cache
def _effect(op: Any) -> tuple[int, int, int]:
    """(items under the mark it pops, or -1 when it pops no mark; items it pops; pushes)."""
    before = op.stack_before
    below = before.index(pickletools.markobject) if pickletools.markobject in before else -1
    return below, len(before), len(op.stack_after)


def _elements(shape: Any) -> int:
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and d >= 0 for d in dims):
        raise PickleLimitError(f"array shape {str(shape)[:80]} is not a tuple of sizes")
    return math.prod(dims)


def _within(nbytes: int, limit: int, what: str) -> None:
    if nbytes > limit:
        raise PickleLimitError(f"{what} of {nbytes} bytes declared in a file of {limit} bytes")


def _numpy_globals(limit: int) -> dict[tuple[str, str], Callable[[], Any]]:
    """(module, name) -> factory of a guarded NumPy helper, sized to a file of ``limit`` bytes.

    Each use gets a new function: a crafted BUILD can only alter a throwaway, never NumPy's own.
    """
    def dtype() -> Callable[..., np.dtype]:
        def make(obj: Any, align: bool = False, copy: bool = True) -> np.dtype:
            result = np.dtype(obj, bool(align), True)  # always a copy, never a shared dtype
            _within(result.itemsize, limit, "a dtype")
            return result
        return make

    def reconstruct() -> Callable[..., np.ndarray]:
        def make(subtype: Any, shape: Any, dtype_code: Any) -> np.ndarray:
            size = _elements(shape) * np.dtype(dtype_code).itemsize
            _within(size, limit, "an array")
            return _multiarray._reconstruct(subtype, shape, dtype_code)
        return make

    def scalar() -> Callable[..., Any]:
        def make(dtype_obj: Any, *args: Any) -> Any:
            if isinstance(dtype_obj, np.dtype):
                _within(dtype_obj.itemsize, limit, "a scalar")
            return _multiarray.scalar(dtype_obj, *args)
        return make

    def frombuffer() -> Callable[..., np.ndarray]:
        def make(buf: Any, dtype_obj: np.dtype, shape: Any, order: str) -> np.ndarray:
            return _numeric._frombuffer(buf, dtype_obj, shape, order)
        return make

    allowed: dict[tuple[str, str], Callable[[], Any]] = {
        ("numpy", "ndarray"): lambda: np.ndarray, ("numpy", "dtype"): dtype}
    for package in ("numpy._core", "numpy.core"):  # files of NumPy 2.x and 1.x
        allowed[(f"{package}.multiarray", "_reconstruct")] = reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = frombuffer  # protocol 5 arrays
    return allowed


class PlainUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` only resolves guarded NumPy helpers (and ``extra``)."""

    def __init__(self, data: bytes, extra: dict[tuple[str, str], Callable[[], Any]] | None = None,
                 **kwargs: Any):
        super().__init__(io.BytesIO(data), **kwargs)
        self._allowed = {**_numpy_globals(len(data)), **(extra or {})}

    def find_class(self, module: str, name: str) -> Any:
        factory = self._allowed.get((module, name))
        if factory is None:
            raise UnsafePickleError(
                f"refused to load: the file references '{module}.{name}', which could run code; "
                "only plain Python/NumPy data may be loaded")
        return factory()


def load_plain(data: bytes, extra: dict[tuple[str, str], Callable[[], Any]] | None = None,
               **kwargs: Any) -> Any:
    """:func:`scan`, then unpickle with :class:`PlainUnpickler` (``kwargs``: e.g. encoding).

    Raises:
        UnsafePickleError: a global outside the whitelist.
        PickleLimitError: a bound was exceeded.
        One of :data:`CORRUPT_PICKLE_ERRORS`: truncated or corrupt data.
    """
    scan(data)
    return PlainUnpickler(data, extra, **kwargs).load()
