"""Qt-free view model of the runs of a GUI session: status, progress, ETA, live metrics.

The engine thread never touches these objects; a worker hands rows to the GUI thread, which
updates them. Views (the Simulation and Analysis tabs) read them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fl_pytorch import Config
from fl_pytorch.cli_line import command_line

STARTING, RUNNING = "starting", "running"
FINISHED, STOPPED, INTERRUPTED, FAILED = "finished", "stopped", "interrupted", "failed"
ACTIVE = (STARTING, RUNNING)
NOT_WRITTEN = "(not written)"


def device_label(gpu: str) -> str:
    """``--gpu`` ids as device names: ``"0,-1"`` -> ``"cuda:0, cpu"``."""
    names = []
    for part in (p.strip() for p in gpu.split(",") if p.strip()):
        names.append("cpu" if part in ("-1", "cpu") else
                     part if part.startswith("cuda:") else f"cuda:{part}")
    return ", ".join(names)


def format_duration(seconds: float) -> str:
    """``75.2`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class RunRecord:
    """One experiment launched from the GUI."""

    number: int
    name: str
    config: Config
    out_path: Path
    status: str = STARTING
    columns: dict[str, list[float]] = field(default_factory=dict)
    latest: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    result: dict[str, Any] | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    file_written: bool = False
    sweep: str = ""  # the sweep the run belongs to (empty for a single run)

    @property
    def active(self) -> bool:
        """True while the run is starting or running."""
        return self.status in ACTIVE

    @property
    def rounds_done(self) -> int:
        """Completed rounds (row 0 is the initial point)."""
        rounds = self.columns.get("round")
        return int(rounds[-1]) if rounds else 0

    @property
    def progress(self) -> float:
        """Fraction of the rounds done, in [0, 1]."""
        return min(1.0, self.rounds_done / self.config.rounds)

    def eta(self, now: float | None = None) -> float | None:
        """Estimated seconds left, from the mean time per round so far (None before round 1)."""
        if not self.active or self.rounds_done == 0:
            return None
        elapsed = (time.monotonic() if now is None else now) - self.started
        return elapsed / self.rounds_done * (self.config.rounds - self.rounds_done)

    def progress_text(self) -> str:
        """``"40% (4/10), ETA 0:03"`` while running, ``"100% (10/10) in 0:07"`` at the end."""
        text = f"{self.progress:.0%} ({self.rounds_done}/{self.config.rounds})"
        eta = self.eta()
        if eta is not None:
            return f"{text}, ETA {format_duration(eta)}"
        if self.ended is None:
            return text
        return f"{text} in {format_duration(self.ended - self.started)}"

    def add_rows(self, rows: list[dict[str, float]]) -> None:
        """Append rows received from the engine (the run is running from the first one on).

        Rows become per-metric columns as they arrive (NaN where a row lacks a metric), so live
        plots cost no more per redraw however long the run.
        """
        for row in rows:
            n = len(next(iter(self.columns.values()), ()))
            for name in [k for k in row if k not in self.columns]:
                self.columns[name] = [math.nan] * n
            for name, column in self.columns.items():
                column.append(row.get(name, math.nan))
            self.latest.update({k: v for k, v in row.items() if not math.isnan(v)})
        if self.status == STARTING and rows:
            self.status = RUNNING

    def finish(self, result: dict[str, Any]) -> None:
        """Record the engine's result dict (status finished, stopped, interrupted or failed)."""
        self.result = result
        self.status = result["status"]
        self.error = result.get("error")
        self.ended = time.monotonic()
        self.file_written = self.out_path.exists()

    def fail(self, message: str) -> None:
        """The run could not be built or crashed outside the engine's round loop."""
        self.status, self.error, self.ended = FAILED, message, time.monotonic()
        self.file_written = self.out_path.exists()

    def result_file_text(self) -> str:
        """The result file's path, or ``(not written)`` for a run that ended without one."""
        return str(self.out_path) if self.active or self.file_written else NOT_WRITTEN

    def command_line(self, multiline: bool = False) -> str:
        """The ``./run.sh ...`` line that reproduces this run."""
        return command_line(self.config, multiline=multiline)

    def live_result(self) -> dict[str, Any]:
        """A result-like dict for plotting: the final result, or the rows received so far."""
        if self.result is not None:
            return self.result
        return {"status": self.status, "error": self.error, "config": self.config.to_dict(),
                "command_line": self.command_line(),
                "metrics": {m: np.array(v, dtype=np.int64 if m == "round" else np.float64)
                            for m, v in self.columns.items()}}


class Session:
    """The runs of this GUI session, in launch order."""

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []
        self._counter = 0

    def add(self, config: Config, out_path: Path, name: str = "", sweep: str = "") -> RunRecord:
        """Register a new run; its name is ``name``, the run id, or ``<algorithm>-<n>``."""
        self._counter += 1
        name = name or config.run_id or f"{config.algorithm}-{self._counter}"
        record = RunRecord(self._counter, name, config, out_path, sweep=sweep)
        self.runs.append(record)
        return record

    def remove(self, record: RunRecord) -> None:
        """Forget a run that is no longer active.

        Raises:
            ValueError: the run is still starting or running.
        """
        if record.active:
            raise ValueError(f"run {record.name!r} is still {record.status}; stop it first")
        self.runs.remove(record)

    def active(self) -> list[RunRecord]:
        """Runs starting or running."""
        return [r for r in self.runs if r.active]

    def out_paths_in_use(self) -> set[Path]:
        """Result files that active runs will write."""
        return {r.out_path.resolve() for r in self.active()}


@dataclass
class LoadedRun:
    """A run in the Analysis tab: a result file, or a run of this session (plotted live)."""

    name: str
    source: str
    record: RunRecord | None = None
    loaded: dict[str, Any] = field(default_factory=dict)
    plotted: bool = True

    @property
    def result(self) -> dict[str, Any]:
        """The result dict (for a session run: what it has recorded so far)."""
        return self.record.live_result() if self.record is not None else self.loaded

    def cell(self, column: str) -> Any:
        """The value of an Analysis-table column.

        Columns: ``name``, ``source``, ``status``, ``rounds``, ``config:<option>`` or
        ``final:<metric>`` (last finite value, None if there is none).
        """
        if column in ("name", "source"):
            return getattr(self, column)
        result = self.result
        if column == "status":
            return result["status"]
        if column == "rounds":
            rounds = result["metrics"].get("round")
            return int(rounds[-1]) if rounds is not None and len(rounds) else 0
        kind, key = column.split(":", 1)
        if kind == "config":
            return result["config"].get(key, "")
        values = result["metrics"].get(key)
        finite = values[np.isfinite(values)] if values is not None else values
        return float(finite[-1]) if finite is not None and len(finite) else None
