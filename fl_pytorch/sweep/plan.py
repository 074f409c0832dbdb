"""Where a sweep writes: one folder with a result file per run and an index of configurations.

A run's file name is a readable slug of its swept values plus a hash of every option that
changes the numbers (not the output, logging or device options), so a finished run is found
again whatever the order of the grid, and changing the base configuration makes new files
rather than reusing stale ones. A run counts as done when its file exists and holds a finished
run of the same options; anything else (missing, stopped, interrupted, failed, unreadable,
another configuration) runs again and replaces the file. The index
(``index.json``, ``index.csv``) lists every run of the sweep with its values, status and final
metrics; it is rewritten atomically each time a run ends.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..results.selection import INDEX_CSV, INDEX_FORMAT, INDEX_JSON
from ..results.tuning import NOT_COMPUTED, final_values
from ..utils.atomic import atomic_write_bytes
from .spec import SEED_KEY, SweepRun, SweepSpec

PENDING, FINISHED = "pending", "finished"


def _computed(options: dict[str, Any]) -> dict[str, Any]:
    """The options that change what a run computes."""
    return {k: v for k, v in options.items() if k not in NOT_COMPUTED}


def run_key(config: Any) -> str:
    """Ten hex digits identifying what a run computes."""
    text = json.dumps(_computed(config.to_dict()), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _slug(values: dict[str, Any]) -> str:
    short = {SEED_KEY: "seed"}
    parts = [f"{short.get(k, k)}-{v:g}" if isinstance(v, float) else f"{short.get(k, k)}-{v}"
             for k, v in values.items()]
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", "_".join(parts))[:120]


def sweep_folder(spec: SweepSpec) -> Path:
    """The default folder of a sweep: ``results/sweep_<name>``."""
    return Path("results") / f"sweep_{re.sub(r'[^A-Za-z0-9.+-]+', '_', spec.name)}"


def cli_sweep_name(spec_base: Any, grid: dict[str, list[Any]], seeds: int) -> str:
    """A name for a sweep without one (command line, GUI): the same for the same sweep.

    ``grid`` holds checked values under option names, so ``--sweep global-lr=0.5,1`` and the
    GUI's ``[0.5, 1]`` in the global LR field name the same folder.
    """
    text = json.dumps([run_key(spec_base), {k: [str(v) for v in vs] for k, vs in grid.items()},
                       seeds], sort_keys=True)
    return f"sweep-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


@dataclass
class PlannedRun:
    """A run of the plan: where it writes, and how it ended (or ``pending``)."""

    run: SweepRun
    path: Path
    status: str = PENDING
    error: str | None = None
    final: dict[str, float] = field(default_factory=dict)


class SweepPlan:
    """The runs of ``spec`` in ``folder``, with what is already done."""

    def __init__(self, spec: SweepSpec, folder: str | Path):
        self.spec, self.folder = spec, Path(folder)
        self.runs = [PlannedRun(r, self.folder / f"{_slug(r.values)}__{run_key(r.config)}.bin")
                     for r in spec.runs()]
        for planned in self.runs:
            self._read_file(planned)

    def _read_file(self, planned: PlannedRun) -> None:
        from ..results.loader import load_result
        if not planned.path.is_file():
            return
        try:
            result = load_result(planned.path)
        except (OSError, ValueError):
            return  # unreadable: the run is done again and its file replaced
        if result["status"] == FINISHED and _computed(result["config"]) == \
                _computed(planned.run.config.to_dict()):
            planned.status, planned.final = FINISHED, final_values(result)

    def pending(self) -> list[PlannedRun]:
        """Runs still to do, in grid order."""
        return [p for p in self.runs if p.status != FINISHED]

    def finish(self, planned: PlannedRun, status: str, error: str | None,
               final: dict[str, float]) -> None:
        """Record how ``planned`` ended and rewrite the index."""
        planned.status, planned.error, planned.final = status, error, final
        self.write_index()

    def index(self) -> dict[str, Any]:
        """The index as plain data (what ``index.json`` holds)."""
        spec = self.spec
        return {"format": INDEX_FORMAT, "version": 1, "name": spec.name,
                "grid": {k: v for k, v in spec.grid.items()}, "seeds": spec.seed_values(),
                "base": spec.base.to_dict(),
                "runs": [{"index": p.run.index, "file": p.path.name, "status": p.status,
                          "values": p.run.values, "error": p.error, "final": p.final}
                         for p in self.runs]}

    def write_index(self) -> None:
        """Write ``index.json`` and ``index.csv`` (one row per run) into the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.folder / INDEX_JSON,
                           json.dumps(self.index(), indent=1, allow_nan=False).encode())
        keys = list(self.runs[0].run.values) if self.runs else []
        metrics = sorted({m for p in self.runs for m in p.final})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["index", "file", "status", *keys, *(f"final_{m}" for m in metrics),
                         "error"])
        for p in self.runs:
            writer.writerow([p.run.index, p.path.name, p.status,
                             *(p.run.values[k] for k in keys),
                             *(repr(p.final[m]) if m in p.final else "" for m in metrics),
                             p.error or ""])
        atomic_write_bytes(self.folder / INDEX_CSV, buffer.getvalue().encode())
