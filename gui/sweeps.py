"""Sweeps launched from the form (Qt-free bookkeeping): which runs wait, which run where.

The form's fields written as lists make the grid (``form.build_sweep``). The sweep gets the
folder and file names the command line gives the same sweep (``run.sh ... --sweep``), so a
sweep started in the GUI continues from the command line or the other way round; runs already
finished there are not run again. At most ``jobs`` runs of a sweep go at once; the next starts
when one ends. Each ended run is recorded in the sweep's index.
"""

from __future__ import annotations

import shlex
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fl_pytorch import Config
from fl_pytorch.cli_line import command_line
from fl_pytorch.results.tuning import final_values
from fl_pytorch.sweep import SweepPlan, make_spec, sweep_folder
from fl_pytorch.sweep.plan import PlannedRun, cli_sweep_name
from fl_pytorch.sweep.runner import default_jobs


def sweep_command_line(base: Config, grid: dict[str, list[Any]], multiline: bool = False) -> str:
    """The ``./run.sh ... --sweep KEY=V1,V2`` line of a sweep from the form."""
    from fl_pytorch.config import OPTIONS, primary_flag
    parts = []
    for name, values in grid.items():
        texts = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
        separator = ";" if any("," in t for t in texts) else ","
        flag = primary_flag(OPTIONS[name]).lstrip("-")
        parts.append(f"--sweep {shlex.quote(f'{flag}={separator.join(texts)}')}")
    joint = " \\\n    " if multiline else " "
    return joint.join([command_line(base, multiline=multiline), *parts])


@dataclass
class GuiSweep:
    """A sweep of the session: its plan, the runs still to start, and the running ones."""

    plan: SweepPlan
    jobs: int
    waiting: deque[PlannedRun] = field(default_factory=deque)
    running: dict[int, PlannedRun] = field(default_factory=dict)  # record number -> run

    @classmethod
    def from_form(cls, base: Config, grid: dict[str, list[Any]]) -> GuiSweep:
        """The sweep of the form's base configuration and grid (validated)."""
        spec = make_spec(cli_sweep_name(base, grid, 1), base, grid, 1, "sweep")
        plan = SweepPlan(spec, sweep_folder(spec))
        plan.write_index()
        pending = plan.pending()
        return cls(plan, default_jobs(base, len(pending)), deque(pending))

    @property
    def name(self) -> str:
        return self.plan.spec.name

    def to_start(self) -> list[PlannedRun]:
        """The runs that may start now (taken off the waiting list)."""
        out = []
        while self.waiting and len(self.running) + len(out) < self.jobs:
            out.append(self.waiting.popleft())
        return out

    def ended(self, number: int, status: str, error: str | None,
              result: dict[str, Any] | None) -> None:
        """Record the end of the run of record ``number`` in the index."""
        planned = self.running.pop(number)
        self.plan.finish(planned, status, error, final_values(result) if result else {})

    def progress(self) -> str:
        """``sweep-1a2b: 3 of 8 runs finished, 2 running, 3 waiting``."""
        done = sum(p.status == "finished" for p in self.plan.runs)
        return (f"{self.name}: {done} of {len(self.plan.runs)} runs finished, "
                f"{len(self.running)} running, {len(self.waiting)} waiting")
