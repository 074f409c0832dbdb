"""The executor seam: how the engine runs the sampled clients of a round."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

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


@runtime_checkable
class RoundExecutor(Protocol):
    """A round-level executor (remote workers): it receives the round's plan, not a closure.

    A closure cannot travel to another machine, so the engine hands such an executor the
    ``RoundPlan`` and the client-state store (``core/local.py:run_round``). Client states it
    keeps elsewhere are brought into the store by ``collect_states`` before a checkpoint.
    """

    name: str

    def start(self, sim: Any) -> None:
        """Connect and set up the run for ``sim``."""

    def run_round(self, plan: Any, client_ids: Sequence[int], store: Any) -> list:
        """The ``ClientResult`` of every client, in the order of ``client_ids``."""

    def collect_states(self, store: Any) -> None:
        """Put every client state held elsewhere into ``store``."""

    def close(self) -> None:
        """End the run's connections; safe to call twice."""

    def describe(self) -> str:
        """A short description for logs and result files."""


def is_round_executor(executor: Any) -> bool:
    """Whether ``executor`` takes whole rounds (``isinstance`` of a runtime Protocol is slow)."""
    return callable(getattr(executor, "run_round", None))


class ClientTaskError(RuntimeError):
    """A client's task failed in a worker thread; the message names client and device."""
