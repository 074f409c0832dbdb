"""Checks of a checkpoint's contents before a run resumes from it.

``torch.load(weights_only=True)`` guarantees that a file holds only tensors and plain
containers, not that they are the ones a run needs: an empty, truncated, hand-edited or
crafted file must be one clear error, never an ``IndexError`` or ``KeyError`` from the middle
of a resume. :func:`check_structure` runs on every file read; :func:`check_fits` checks the
parts the engine restores and compares them with the simulation built for the resumed run
(parameter count, clients).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError

PARTS = ("x", "buffers", "server_state", "client_states", "server_optimizer", "downlink",
         "per_client", "rows", "totals")


def _bad(path: str | Path, what: str) -> ConfigError:
    return ConfigError(f"--resume-from: {str(path)!r} is not a usable checkpoint: {what}")


def _check_rows(rows: Any, rounds: int, path: str | Path) -> None:
    if not isinstance(rows, list) or not rows:
        raise _bad(path, "its metrics rows are missing")
    for row in rows:
        if not isinstance(row, dict) or not all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                for k, v in row.items()):
            raise _bad(path, "a metrics row is not a table of numbers")
    last = rows[-1]
    if "wall_time" not in last or last.get("round") != rounds:
        raise _bad(path, f"its last metrics row is not that of round {rounds}")


def check_structure(data: dict[str, Any], path: str | Path) -> None:
    """The keys and types every checkpoint has (ConfigError naming the file otherwise)."""
    if not isinstance(data.get("config"), dict) or not all(
            isinstance(k, str) for k in data["config"]):
        raise _bad(path, "its options are missing")
    rounds = data.get("round")
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 0:
        raise _bad(path, f"round {rounds!r} is not a number of completed rounds")
    if not isinstance(data.get("parts"), dict):
        raise _bad(path, "the saved state is missing")


def _check_parts(parts: dict[str, Any], rounds: int, path: str | Path) -> None:
    """The parts the engine restores, with the types it expects."""
    missing = [p for p in PARTS if p not in parts]
    if missing:
        raise _bad(path, f"it lacks {', '.join(missing)}")
    for name in ("x", "buffers"):
        if not isinstance(parts[name], torch.Tensor) or parts[name].dim() != 1:
            raise _bad(path, f"{name} is not a vector")
    for name in ("server_state", "client_states", "server_optimizer", "downlink",
                 "per_client", "totals"):
        if not isinstance(parts[name], dict):
            raise _bad(path, f"{name} is not a table")
    _check_rows(parts["rows"], rounds, path)


def check_fits(data: dict[str, Any], sim: Any) -> None:
    """The saved state has the shapes of ``sim`` (same parameters, same clients)."""
    from .run_state import CLIENT_TOTALS
    path, parts = sim.config.resume_from, data["parts"]
    _check_parts(parts, data["round"], path)
    if parts["x"].shape != sim.x0.shape:
        raise _bad(path, f"x has shape {tuple(parts['x'].shape)}; this problem has "
                   f"{sim.x0.numel()} parameters")
    if not parts["x"].is_floating_point():
        raise _bad(path, f"x holds {parts['x'].dtype} numbers, not floating-point ones")
    if parts["buffers"].shape != sim.oracle.buffers0.shape:
        raise _bad(path, "its batch-norm statistics do not fit the model")
    for key in CLIENT_TOTALS:
        totals = parts["per_client"].get(key)
        if not isinstance(totals, torch.Tensor) or totals.shape != (sim.num_clients,):
            raise _bad(path, f"its per-client totals do not fit {sim.num_clients} clients")
    for client, state in parts["client_states"].items():
        if not (isinstance(client, int) and 0 <= client < sim.num_clients
                and isinstance(state, dict)):
            raise _bad(path, f"client state {client!r} does not fit {sim.num_clients} clients")
