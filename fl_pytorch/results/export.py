"""Export a result to CSV or JSON, and describe it in a few human-readable lines.

CSV: header = metric names, one row per round; NaN (metric not evaluated that round) is written
as an empty field. JSON: NaN and +-inf become ``null`` (JSON has no such numbers).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..utils.atomic import atomic_write_bytes

# Metrics that are counters or settings: their "best" value means nothing.
_NO_BEST_PREFIXES = ("round", "wall_time", "clients_in_round", "oracle_", "bits_", "lr_", "gpu_",
                     "cpu_")


def _csv_cell(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    return "" if math.isnan(value) else repr(value)


def to_csv(result: dict, path_or_file: str | Path | TextIO) -> None:
    """Write the metrics as CSV: a header of metric names, then one row per round.

    Floats are written with ``repr`` (exact round trip), integers as integers, NaN as an empty
    field. A path is written atomically; an open text file (e.g. ``sys.stdout``) is written to.
    """
    metrics = result["metrics"]
    names = list(metrics)
    n_rows = len(metrics[names[0]]) if names else 0
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    columns = [metrics[name].tolist() for name in names]
    for i in range(n_rows):
        writer.writerow([_csv_cell(col[i]) for col in columns])
    text = buf.getvalue()
    if hasattr(path_or_file, "write"):
        path_or_file.write(text)  # type: ignore[union-attr]
    else:
        atomic_write_bytes(path_or_file, text.encode("utf-8"))  # type: ignore[arg-type]


def _jsonable(obj: Any) -> Any:
    """Plain data -> JSON-safe data: arrays to lists, NaN/inf to None, bytes to str."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.ndarray, np.generic)):
        return _jsonable(obj.tolist())
    if isinstance(obj, complex):
        return [_jsonable(obj.real), _jsonable(obj.imag)]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, bytes):
        return obj.decode("latin-1")
    return obj


def to_json(result: dict, include_params: bool = False, indent: int | None = 1) -> str:
    """Return the result as JSON text: everything but the final parameters, metrics as lists.

    Args:
        result: a result dict.
        include_params: also include ``final_params`` (may be large).
        indent: passed to ``json.dumps``.
    """
    skip = () if include_params else ("final_params",)
    data = {k: _jsonable(v) for k, v in result.items() if k not in skip}
    return json.dumps(data, indent=indent, allow_nan=False)


def save_json(result: dict, path: str | Path, include_params: bool = False) -> Path:
    """Write :func:`to_json` output to ``path`` atomically."""
    return atomic_write_bytes(path, to_json(result, include_params).encode("utf-8"))


def _fmt(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _last_valid(values: np.ndarray) -> int | None:
    finite = np.flatnonzero(~np.isnan(values.astype(float)))
    return int(finite[-1]) if finite.size else None


def _human_bits(bits: float) -> str:
    for unit, size in (("GB", 8e9), ("MB", 8e6), ("kB", 8e3)):
        if bits >= size:
            return f"{bits / size:.3g} {unit}"
    return f"{bits / 8:.3g} B"


def _metric_line(name: str, values: np.ndarray, rounds: np.ndarray) -> str:
    last = _last_valid(values)
    if last is None:
        return f"  {name}: not evaluated"
    line = f"  {name}: last {_fmt(values[last].item())} (round {_fmt(rounds[last].item())})"
    if not name.startswith(_NO_BEST_PREFIXES):
        v = values.astype(float)
        best = int(np.nanargmax(v) if "acc" in name else np.nanargmin(v))
        line += f", best {_fmt(values[best].item())} (round {_fmt(rounds[best].item())})"
    return line


def summary(result: dict) -> str:
    """A few lines for a terminal: status, what ran, rounds done, last/best of every metric."""
    cfg, metrics, problem = result["config"], result["metrics"], result["problem"]
    n_rows = len(next(iter(metrics.values()))) if metrics else 0
    rounds = metrics.get("round", np.arange(n_rows, dtype=float))
    last = _last_valid(rounds) if n_rows else None
    done = _fmt(rounds[last].item()) if last is not None else "0"
    status = result["status"] + (f" ({result['error']})" if result.get("error") else "")
    lines = [
        f"status: {status}",
        f"algorithm: {cfg.get('algorithm', '?')}  "
        + f"compressor: {cfg.get('client_compressor', '?')}  "
        + f"dataset: {cfg.get('dataset', '?')}  model: {cfg.get('model', '?')}",
        f"problem: {problem.get('name')} (dimension {problem.get('dimension')})",
        f"rounds done: {done} of {cfg.get('rounds', '?')}",
    ]
    if cfg.get("group_name"):
        lines.append(f"group: {cfg['group_name']}  seed: {cfg.get('manual_runtime_seed', '?')}")
    bit_parts = []
    for name, label in (("bits_up_cum", "up"), ("bits_down_cum", "down")):
        if name in metrics and _last_valid(metrics[name]) is not None:
            bits = float(metrics[name][_last_valid(metrics[name])])
            bit_parts.append(f"{label} {bits:.6g} bits ({_human_bits(bits)})")
    if bit_parts:
        lines.append("communication: " + ", ".join(bit_parts))
    wall = metrics.get("wall_time")
    if wall is not None and _last_valid(wall) is not None:
        lines.append(f"wall time: {float(wall[_last_valid(wall)]):.3f} s")
    env = result["environment"]
    lines.append(f"started: {env.get('started_at')}  finished: {env.get('finished_at')}  "
                 f"host: {env.get('hostname')}")
    lines.append(f"command: {result['command_line']}")
    lines.append(f"metrics ({n_rows} rows, last / best):")
    lines.extend(_metric_line(name, values, rounds) for name, values in metrics.items())
    return "\n".join(lines)
