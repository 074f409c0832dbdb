"""The reference executor: clients one after another in the calling thread."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import Task


class SequentialExecutor:
    """Runs ``task(client_id, sim)`` for each client in order, on the simulation's own oracle."""

    name = "sequential"

    def __init__(self) -> None:
        self._sim: Any = None

    def start(self, sim: Any) -> None:
        self._sim = sim

    def map(self, task: Task, client_ids: Sequence[int]) -> list:
        return [task(i, self._sim) for i in client_ids]

    def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        return "sequential"
