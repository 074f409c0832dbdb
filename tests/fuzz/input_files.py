"""Bad ``--config`` files and bad ``--resume-from`` checkpoints.

Configuration cases are file contents (bytes) or special paths. Checkpoint cases start from a
real checkpoint (``good``: written by a real run) and break one thing: emptied, truncated,
replaced by junk, or loaded, edited and saved again with ``torch.save`` (a missing part, a wrong
shape, a negative round, an option value no run accepts).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

CONFIG_CASES: dict[str, bytes | str] = {
    "config-not-utf8": b"\xff\xfe{\x00}\x00",
    "config-not-json": b"{rounds: 5",
    "config-a-list": b"[1, 2, 3]",
    "config-a-string": b'"rounds"',
    "config-deep-nesting": b"[" * 100_000,
    "config-nan": b'{"global_lr": NaN}',
    "config-infinity": b'{"local_lr": Infinity}',
    "config-huge-float": b'{"rounds": 1e400}',
    "config-huge-int": b'{"rounds": 100000000000000000000000000000}',
    "config-unknown-key": b'{"no_such_option": 1}',
    "config-empty": b"",
    "config-a-folder": "/",
    "config-dev-zero": "/dev/zero",
    "config-proc-self-mem": "/proc/self/mem",
    "config-missing": "/nonexistent/config.json",
}

Edit = Callable[[dict[str, Any]], Any]


def _set(*path: str, value: Any) -> Edit:
    """Set ``data[path[0]][path[1]]... = value``."""
    def edit(data: dict[str, Any]) -> dict[str, Any]:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return data
    return edit


def _drop(*path: str) -> Edit:
    def edit(data: dict[str, Any]) -> dict[str, Any]:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return data
    return edit


def _rows(change: Callable[[list], list]) -> Edit:
    def edit(data: dict[str, Any]) -> dict[str, Any]:
        data["parts"]["rows"] = change(data["parts"]["rows"])
        return data
    return edit


class _Custom:
    """An object ``torch.load(weights_only=True)`` must refuse to rebuild."""


def _per_client_wrong(data: dict[str, Any]) -> dict[str, Any]:
    data["parts"]["per_client"] = {k: v[:1] for k, v in data["parts"]["per_client"].items()}
    return data


EDITS: dict[str, Edit] = {
    "checkpoint-a-list": lambda data: [1, 2, 3],
    "checkpoint-no-format": _drop("format"),
    "checkpoint-other-version": _set("version", value=99),
    "checkpoint-no-config": _drop("config"),
    "checkpoint-config-a-list": _set("config", value=[1]),
    "checkpoint-negative-round": _set("round", value=-1),
    "checkpoint-round-a-string": _set("round", value="x"),
    "checkpoint-no-parts": _drop("parts"),
    "checkpoint-no-x": _drop("parts", "x"),
    "checkpoint-x-wrong-shape": _set("parts", "x", value=torch.zeros(7)),
    "checkpoint-x-not-a-tensor": _set("parts", "x", value=[1.0, 2.0]),
    "checkpoint-x-integers": _set("parts", "x", value=torch.zeros(3, dtype=torch.long)),
    "checkpoint-no-rows": _rows(lambda rows: []),
    "checkpoint-rows-not-numbers": _rows(lambda rows: [{"round": "zero"}]),
    "checkpoint-last-row-wrong-round": _rows(lambda rows: rows[:-1]),
    "checkpoint-per-client-wrong-size": _per_client_wrong,
    "checkpoint-client-state-bad-id": _set("parts", "client_states", value={10**6: {}}),
    "checkpoint-invalid-option": _set("config", "rounds", value=-5),
    "checkpoint-non-finite-option": _set("config", "global_lr", value=float("inf")),
    "checkpoint-custom-object": _set("parts", "x", value=_Custom()),
}

RAW: dict[str, Callable[[bytes], bytes]] = {
    "checkpoint-empty": lambda good: b"",
    "checkpoint-truncated": lambda good: good[:len(good) // 2],
    "checkpoint-random-bytes": lambda good: bytes(range(256)) * 16,
    "checkpoint-text": lambda good: b"not a checkpoint\n",
}


def checkpoint_cases() -> dict[str, Callable[[Path, Path], str]]:
    """``case id -> make(folder, good checkpoint) -> path of the bad checkpoint``."""
    cases: dict[str, Callable[[Path, Path], str]] = {}
    for name, raw in RAW.items():
        cases[name] = lambda tmp, good, raw=raw: _write(tmp, raw(good.read_bytes()))
    for name, edit in EDITS.items():
        cases[name] = lambda tmp, good, edit=edit: _save(tmp, edit(
            torch.load(good, map_location="cpu", weights_only=True)))
    for name, path in (("checkpoint-a-folder", "/"), ("checkpoint-dev-null", "/dev/null"),
                       ("checkpoint-proc-self-mem", "/proc/self/mem")):
        cases[name] = lambda tmp, good, path=path: path
    return cases


def _write(tmp: Path, data: bytes) -> str:
    path = tmp / "bad.ckpt"
    path.write_bytes(data)
    return str(path)


def _save(tmp: Path, data: Any) -> str:
    path = tmp / "bad.ckpt"
    torch.save(data, path)
    return str(path)
