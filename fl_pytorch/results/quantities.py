"""What a plot can put on an axis: every recorded metric plus quantities derived from them.

Derived quantities are computed from a result dict on the fly (unit changes, squares, per-round
differences, cumulative sums, per-client shares), so every result file, old or new, offers them
as soon as it has what they need. ``X_AXES`` keeps the short x-axis names of the command line
(``--x bits``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

X_AXES = {"rounds": "round", "bits": "bits_up_cum", "time": "wall_time",
          "oracle": "oracle_grad_samples", "simtime": "sim_time_cum"}
"""Short x-axis names (``results plot --x``) -> the quantity plotted."""

ORDER = ["round", "wall_time", "wall_time_min", "round_time", "round_time_min", "direction_norm",
         "loss", "full_gradient_norm_train", "full_gradient_norm_sq_train",
         "full_objective_value_train", "dist_to_solution", "dist_to_solution_sq",
         "gpu_memory_mb", "gpu_memory_gb", "bits_up_per_participant_cum",
         "bits_up_per_client_cum", "bits_up_cum", "oracle_grad_full", "oracle_grad_samples",
         "top1_acc", "top5_acc", "compute_devices", "bits_down_cum", "bits_total_cum",
         "clients_cum", "clients_in_round", "bits_up_round", "bits_up_per_client",
         "bits_down_round", "lr_global", "perplexity", "sim_time_cum", "sim_time",
         "clients_dropped", "clients_late"]
"""Menu order: the original FL_PyTorch's axis choices first, then the other counters."""

Values = np.ndarray


def _metric(result: dict, name: str) -> Values | None:
    values = result["metrics"].get(name)
    return None if values is None else np.asarray(values, dtype=float)


def _scaled(name: str, factor: float) -> Callable[[dict], Values | None]:
    def compute(result: dict) -> Values | None:
        values = _metric(result, name)
        return None if values is None else values * factor
    return compute


def _squared(name: str) -> Callable[[dict], Values | None]:
    def compute(result: dict) -> Values | None:
        values = _metric(result, name)
        return None if values is None else values ** 2
    return compute


def _cumulative(name: str) -> Callable[[dict], Values | None]:
    """Running sum over rounds (a round that did not record the metric adds nothing)."""
    def compute(result: dict) -> Values | None:
        values = _metric(result, name)
        return None if values is None else np.cumsum(np.nan_to_num(values, nan=0.0))
    return compute


def _per_round(name: str, factor: float = 1.0) -> Callable[[dict], Values | None]:
    """Difference of a cumulative counter between consecutive rows (row 0: NaN)."""
    def compute(result: dict) -> Values | None:
        values = _metric(result, name)
        if values is None:
            return None
        out = np.full_like(values, np.nan)
        out[1:] = np.diff(values) * factor
        return out
    return compute


def _bits_total(result: dict) -> Values | None:
    up, down = _metric(result, "bits_up_cum"), _metric(result, "bits_down_cum")
    return None if up is None or down is None else up + down


def client_count(result: dict) -> int | None:
    """Number of clients of the run's problem (None when the result does not say)."""
    problem = result.get("problem") or {}
    if isinstance(problem.get("num_clients"), int):
        return problem["num_clients"]
    clients = result.get("clients") or {}
    return len(next(iter(clients.values()))) if clients else None


def _bits_per_client_of_all(result: dict) -> Values | None:
    up, count = _metric(result, "bits_up_cum"), client_count(result)
    return None if up is None or not count else up / count


def rows(result: dict) -> int:
    """Number of rows (round 0 included) of a result's metrics."""
    return len(next(iter(result["metrics"].values()), ()))


def _devices(result: dict) -> Values | None:
    gpu = str(result.get("config", {}).get("gpu", ""))
    count = len([p for p in gpu.split(",") if p.strip()])
    return np.full(rows(result), float(count)) if count else None


DERIVED: dict[str, Callable[[dict], Values | None]] = {
    "wall_time_min": _scaled("wall_time", 1 / 60),
    "round_time": _per_round("wall_time"),
    "round_time_min": _per_round("wall_time", 1 / 60),
    "gpu_memory_gb": _scaled("gpu_memory_mb", 1 / 1024),
    "dist_to_solution_sq": _squared("dist_to_solution"),
    "full_gradient_norm_sq_train": _squared("full_gradient_norm_train"),
    "bits_total_cum": _bits_total,
    "bits_up_per_participant_cum": _cumulative("bits_up_per_client"),
    "bits_up_per_client_cum": _bits_per_client_of_all,
    "clients_cum": _cumulative("clients_in_round"),
    "compute_devices": _devices,
}
"""Derived quantity -> its computation from a result dict (None when the data is missing)."""


def resolve(name: str) -> str:
    """A short x-axis name (``bits``) as its quantity (``bits_up_cum``); others unchanged."""
    return X_AXES.get(name, name)


def quantity(result: dict[str, Any], name: str) -> Values | None:
    """The values of quantity ``name`` (one per row, NaN where not evaluated), or None."""
    name = resolve(name)
    values = _metric(result, name)
    if values is not None:
        return values
    if name == "round" and result["metrics"]:  # row i is round i
        return np.arange(rows(result), dtype=float)
    compute = DERIVED.get(name)
    return compute(result) if compute else None


def ordered(names: Iterable[str]) -> list[str]:
    """``names`` without repeats, in menu order (:data:`ORDER`, then alphabetical)."""
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n))


def available(result: dict[str, Any]) -> list[str]:
    """Every quantity ``result`` can plot, in menu order."""
    names = [*result["metrics"], *DERIVED, "round"]
    return [n for n in ordered(names) if quantity(result, n) is not None]
