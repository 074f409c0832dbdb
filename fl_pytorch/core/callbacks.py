"""Run callbacks: logging, result files, progress bars and GUI updates hook in here.

The engine calls, from its own thread: ``on_run_begin(info)`` once, ``after_round(info, row)``
after every round with that round's metrics row, and ``on_run_end(info, result)`` once with the
result dict (also when the run was stopped, interrupted or failed). A CallbackList calls
``on_run_end`` in reverse order, so the result file (written by the API's last callback) exists
before the other callbacks hear of the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunInfo:
    """What a callback may want to know about the run."""

    config: Any  # fl_pytorch.config.Config
    total_rounds: int
    problem: dict[str, Any] = field(default_factory=dict)
    start_round: int = 0


class Callback:
    """Base class with no-op hooks; override what you need."""

    def on_run_begin(self, info: RunInfo) -> None:
        """Called once before the first round."""

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        """Called after each round with its metrics (NaN for metrics not evaluated this round)."""

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        """Called once at the end with the result dict, whatever the final status."""


class CallbackList(Callback):
    """Fan a call out to several callbacks in order."""

    def __init__(self, callbacks: Sequence[Callback]):
        self.callbacks = list(callbacks)

    def on_run_begin(self, info: RunInfo) -> None:
        for cb in self.callbacks:
            cb.on_run_begin(info)

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        for cb in self.callbacks:
            cb.after_round(info, row)

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        for cb in reversed(self.callbacks):  # like nested context managers: last in, first out
            cb.on_run_end(info, result)
