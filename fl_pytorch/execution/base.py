"""The executor seam: how the engine runs the sampled clients of a round."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

R = TypeVar("R")

#: ``task(client_id, sim)``: ``sim`` is the simulation as the running thread sees it (its own
#: oracle replica and the data on its device).
Task = Callable[[int, Any], R]


class Executor(Protocol):
    """``start(sim)`` once, ``map`` once per round, ``close()`` at the end of the run."""

    name: str

    def start(self, sim: Any) -> None:
        """Build per-thread/per-device resources for ``sim``."""

    def map(self, task: Task, client_ids: Sequence[int]) -> list:
        """``[task(i, view) for i in client_ids]``, in the order of ``client_ids``."""

    def close(self) -> None:
        """Release threads and replicas; safe to call twice."""

    def describe(self) -> str:
        """A short description for logs and result files."""


class ClientTaskError(RuntimeError):
    """A client's task failed in a worker thread; the message names client and device."""
