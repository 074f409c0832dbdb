"""The result file format: one pickle of plain Python/NumPy data per run.

:func:`validate_result` accepts exactly the data that the restricted loader
(:mod:`fl_pytorch.results.loader`) can read back, so anything :func:`save_result` writes is
guaranteed to load without running code. See ``docs/results_format.md``.
"""

from __future__ import annotations

import pickle
import reprlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..utils.atomic import atomic_write_bytes

FORMAT = "fl_pytorch-result"
VERSION = 1
PICKLE_PROTOCOL = 4
STATUSES = ("finished", "stopped", "interrupted", "failed")
REQUIRED_KEYS = ("format", "version", "status", "error", "config", "command_line", "metrics",
                 "final_params", "problem", "environment")
ENVIRONMENT_KEYS = ("python", "torch", "numpy", "platform", "hostname", "devices", "started_at",
                    "finished_at")

# dtype kinds allowed in arrays and NumPy scalars: bool, signed/unsigned int, float, complex.
_ARRAY_KINDS = "biufc"
_METRIC_KINDS = "biuf"
_SCALAR_TYPES = (bool, int, float, str, bytes, type(None))
MAX_DEPTH = 32  # nesting levels of the plain data of a result
MAX_NODES = 1_000_000  # values in all (a result of 100 000 clients has about 600 000)


class ResultError(ValueError):
    """A result file or dict that is not a valid fl_pytorch result (message says what is wrong)."""


def _check_leaf(value: Any, where: str, path: Any = None) -> None:
    """Raise :class:`ResultError` unless ``value`` is a plain scalar or a plain NumPy array.

    ``path`` (a ``(parent, key)`` chain below ``where``) is spelled out only for the message.
    """
    t = type(value)
    if t is int and not -(2**64) < value < 2**64:
        raise ResultError(f"{_spell(where, path)}: an integer of {value.bit_length()} bits "
                          "(at most 64)")
    if t in _SCALAR_TYPES:
        return
    if t is np.ndarray or isinstance(value, np.generic):
        if value.dtype.kind not in _ARRAY_KINDS or value.dtype.fields is not None:
            raise ResultError(f"{_spell(where, path)}: NumPy dtype {value.dtype} is not allowed "
                              "(only bool, integer, float and complex)")
        return
    hint = " (call to_plain() first)" if t is tuple or _is_tensor(value) else ""
    raise ResultError(f"{_spell(where, path)}: {t.__module__}.{t.__qualname__} is not plain "
                      f"data{hint}")


def _check_plain(value: Any, where: str) -> None:
    """Raise :class:`ResultError` unless ``value`` is plain data (exact types, no subclasses).

    Iterative, at most :data:`MAX_DEPTH` levels deep and :data:`MAX_NODES` values in all
    (shared values counted each time they appear), so no file can exhaust the stack or loop.
    Paths are kept as ``(parent, key)`` chains and spelled out only for the error message.
    """
    todo: list[tuple[Any, Any, int]] = [(value, None, 0)]
    nodes = 0
    while todo:
        item, path, depth = todo.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise ResultError(f"{where}: more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise ResultError(f"{where}: nested more than {MAX_DEPTH} levels deep")
        t = type(item)
        if t is list:
            todo.extend((v, (path, i), depth + 1) for i, v in enumerate(item))
        elif t is dict:
            for key, v in item.items():
                if type(key) is not str:
                    raise ResultError(f"{_spell(where, path)}: key {reprlib.repr(key)} is a "
                                      f"{type(key).__name__}, not a str")
                todo.append((v, (path, key), depth + 1))
        else:
            _check_leaf(item, where, path)


def _spell(where: str, path: Any) -> str:
    """``where[k1][k2]...`` of a ``(parent, key)`` chain."""
    keys = []
    while path is not None:
        path, key = path
        keys.append(f"[{key[:40]!r}]" if isinstance(key, str) else f"[{key}]")
    return where + "".join(reversed(keys))


def _is_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def validate_result(d: Any) -> None:
    """Check that ``d`` is a well-formed result dict.

    Raises:
        ResultError: (a ``ValueError``) naming the first key that is missing or wrong.
    """
    if type(d) is not dict:
        raise ResultError(f"a result must be a dict, got {type(d).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in d]
    if missing:
        raise ResultError(f"result is missing key(s): {', '.join(missing)}")
    if type(d["format"]) is not str or d["format"] != FORMAT:
        raise ResultError(f"result['format'] must be {FORMAT!r}, got {d['format']!r}")
    version = d["version"]
    if type(version) is not int or not 1 <= version <= VERSION:
        raise ResultError(f"result['version'] must be an int in 1..{VERSION}, got {version!r}")
    if type(d["status"]) is not str or d["status"] not in STATUSES:
        raise ResultError(f"result['status'] must be one of {', '.join(STATUSES)}; "
                          f"got {d['status']!r}")
    if d["error"] is not None and type(d["error"]) is not str:
        raise ResultError("result['error'] must be None or a str")
    if type(d["command_line"]) is not str:
        raise ResultError("result['command_line'] must be a str")
    for key in ("config", "problem", "environment", "metrics"):
        if type(d[key]) is not dict:
            raise ResultError(f"result[{key!r}] must be a dict, got {type(d[key]).__name__}")
    _validate_metrics(d["metrics"])
    params = d["final_params"]
    if type(params) is not np.ndarray or params.ndim != 1 or params.dtype.kind not in _METRIC_KINDS:
        raise ResultError("result['final_params'] must be a 1-D NumPy array of numbers")
    problem = d["problem"]
    if type(problem.get("name")) is not str or type(problem.get("dimension")) is not int:
        raise ResultError("result['problem'] needs 'name' (str) and 'dimension' (int)")
    env = d["environment"]
    missing = [k for k in ENVIRONMENT_KEYS if k not in env]
    if missing:
        raise ResultError(f"result['environment'] is missing key(s): {', '.join(missing)}")
    if type(env["devices"]) is not list:
        raise ResultError("result['environment']['devices'] must be a list of str")
    for key in ("config", "problem", "environment"):
        _check_plain(d[key], f"result[{key!r}]")
    extra = [k for k in d if k not in REQUIRED_KEYS]
    for key in extra:  # later versions may add keys; they must still be plain data
        _check_plain(d[key], f"result[{key!r}]")


def _validate_metrics(metrics: dict) -> None:
    length = None
    for name, values in metrics.items():
        where = f"result['metrics'][{name!r}]"
        if type(name) is not str:
            raise ResultError(f"result['metrics']: metric name {name!r} is not a str")
        if type(values) is not np.ndarray or values.ndim != 1:
            raise ResultError(f"{where} must be a 1-D NumPy array, got {type(values).__name__}")
        if values.dtype.kind not in _METRIC_KINDS:
            raise ResultError(f"{where} has dtype {values.dtype}; metrics must be numbers")
        if length is None:
            length, first = len(values), name
        elif len(values) != length:
            raise ResultError(f"{where} has {len(values)} rows but {first!r} has {length}; "
                              "all metrics need one row per round")


def to_plain(obj: Any) -> Any:
    """Convert nested containers to plain data: tensors -> NumPy arrays, tuples -> lists.

    NumPy and 0-d torch scalars become Python numbers, ``Path``/``torch.device``/``torch.dtype``
    become strings, and bfloat16 tensors become float32 arrays (NumPy has no bfloat16).

    Raises:
        TypeError: for an object with no plain equivalent, naming where it was found.
    """
    return _to_plain(obj, "value")


def _to_plain(obj: Any, where: str) -> Any:
    if type(obj) in _SCALAR_TYPES:
        return obj
    if isinstance(obj, dict):
        return {str(k): _to_plain(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"{where}: NumPy arrays of dtype {obj.dtype} cannot be stored")
        return np.array(obj)  # a base-class copy, not a view or subclass
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(obj, torch.Tensor):
            t = obj.detach().cpu()
            if t.dtype == torch.bfloat16:
                t = t.float()
            return t.item() if t.ndim == 0 else t.numpy().copy()
        if isinstance(obj, (torch.device, torch.dtype)):
            return str(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (bool, int, float, str)):  # subclasses such as IntEnum
        for base in (bool, int, float, str):
            if isinstance(obj, base):
                return base(obj)
    raise TypeError(f"{where}: {type(obj).__qualname__} has no plain-data equivalent")


def save_result(result: dict, path: str | Path) -> Path:
    """Validate ``result`` and write it atomically as a pickle (readers never see half a file).

    Raises:
        ResultError: if ``result`` is not a valid result dict; nothing is written then.
    """
    validate_result(result)
    data = pickle.dumps(result, protocol=PICKLE_PROTOCOL)
    return atomic_write_bytes(path, data)

