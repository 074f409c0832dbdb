"""Crafted and corrupt result files: each case is the bytes of one file ``results`` must refuse.

Besides foreign and truncated files, the cases attack the loader itself: nesting deep enough to
exhaust a recursive walk, a few hundred bytes declaring a 10**8-element array, a memo index that
makes CPython allocate gigabytes, shared references that explode when walked as a tree, an
integer of a hundred thousand digits, and globals that would run code.
"""

from __future__ import annotations

import pickle
import struct

import numpy as np

from tests.unit.test_results_loader import make_result

PROTO4 = b"\x80\x04"


def _dumps(obj: object) -> bytes:
    return pickle.dumps(obj, protocol=4)


def _with_config_value(raw_value: bytes) -> bytes:
    """A valid result whose config['comment'] is replaced by the opcodes ``raw_value``."""
    result = make_result()
    result["config"]["comment"] = "PLACEHOLDER"
    data = pickle.dumps(result, protocol=3)
    needle = b"X\x0b\x00\x00\x00PLACEHOLDER"
    assert needle in data
    return data.replace(needle, raw_value)


def deep_nesting(levels: int = 3000) -> bytes:
    """~7 KB: a list nested ``levels`` deep inside an otherwise valid result."""
    return _with_config_value(b"]" * levels + b"a" * (levels - 1))


def huge_declared_array() -> bytes:
    """~500 bytes: a valid result whose arrays are declared with 10**8 elements, no data."""
    from numpy._core import multiarray

    class Huge:
        def __reduce__(self):
            return multiarray._reconstruct, (np.ndarray, (10**8,), b"d")
    result = make_result()
    result["final_params"] = Huge()
    result["metrics"] = {"round": Huge(), "loss": Huge()}
    return pickle.dumps(result, protocol=3)


def huge_dtype() -> bytes:
    """A dtype of 10**9 bytes per element."""
    result = make_result()
    result["final_params"] = np.dtype(("f8", (125_000_000,)))
    return pickle.dumps(result, protocol=3)


def memo_bomb() -> bytes:
    """LONG_BINPUT 4294967295: CPython would allocate and clear a 32 GiB memo."""
    return PROTO4 + b"N" + b"r" + struct.pack("<I", 2**32 - 1) + b"."


def billion_laughs(levels: int = 30) -> bytes:
    """Each level is a list of two references to the level below: 2**30 leaves as a tree,
    a few hundred bytes as a pickle (the pickler writes each shared list once)."""
    value: list = []
    for _ in range(levels):
        value = [value, value]
    result = make_result()
    result["config"]["comment"] = value
    return pickle.dumps(result, protocol=3)


def deep_tuple_key(levels: int = 1_000_000) -> bytes:
    """1 MB: a dict key of a million nested tuples (hashing it overflows CPython's C stack)."""
    return PROTO4 + b"}N" + b"\x85" * levels + b"K\x01s."


def huge_int() -> bytes:
    """An integer of 100 000 digits in the config."""
    value = 10**100_000
    raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    return _with_config_value(b"\x8b" + struct.pack("<i", len(raw)) + raw)


class _System:
    def __reduce__(self):
        import os
        return os.system, ("echo pwned",)


def planted_code() -> bytes:
    result = make_result()
    result["config"]["x"] = _System()
    return pickle.dumps(result, protocol=3)


def _mutated(**changes: object) -> bytes:
    result = make_result()
    result.update(changes)
    return _dumps(result)


RESULT_CASES: dict[str, bytes] = {
    "result-deep-nesting": deep_nesting(),
    "result-huge-declared-array": huge_declared_array(),
    "result-huge-dtype": huge_dtype(),
    "result-memo-bomb": memo_bomb(),
    "result-deep-tuple-key": deep_tuple_key(),
    "result-billion-laughs": billion_laughs(),
    "result-huge-int": huge_int(),
    "result-planted-code": planted_code(),
    "result-empty": b"",
    "result-random-bytes": bytes(range(256)) * 8,
    "result-text": b"round,loss\n0,1.0\n",
    "result-truncated": _dumps(make_result())[:300],
    "result-a-list": _dumps([1, 2, 3]),
    "result-missing-keys": _dumps({"format": "fl_pytorch-result", "version": 1}),
    "result-newer-version": _mutated(version=99),
    "result-bad-status": _mutated(status="exploded"),
    "result-ragged-metrics": _mutated(metrics={"round": np.arange(3), "loss": np.arange(5.0)}),
    "result-2d-params": _mutated(final_params=np.zeros((2, 2))),
    "result-object-array": _mutated(final_params=np.array([object()] * 2, dtype=object)),
    "result-non-str-key": _mutated(config={(1, (2, (3,))): 1}),
}
