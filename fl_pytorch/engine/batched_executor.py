"""Batched execution: a round's clients in a few tensor operations (``Algorithm.extra["batched"]``).

For algorithms that provide a batched form of their client hooks (the FedNL family). A round
executor (``RoundExecutor``): the algorithm's ``extra["batched"](sim)`` builds the batched
clients once (or returns None when this problem has no batched oracle); their ``run`` gives the
round's ClientResults from the plan, and the client states they hold are put into the engine's
store by ``collect_states`` before a checkpoint, as remote workers do. Without a batched form the
clients run one by one on the ``fallback`` executor (the sequential reference). Results equal
the per-client hooks up to floating-point summation order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.local import run_client
from ..execution.base import Executor


class BatchedExecutor:
    """Runs the round through the algorithm's batched form, else through ``fallback``."""

    name = "batched"

    def __init__(self, fallback: Executor):
        self.fallback = fallback
        self._clients: Any = None
        self._sim: Any = None

    def start(self, sim: Any) -> None:
        self._sim = sim
        make = sim.algorithm.extra.get("batched")
        self._clients = make(sim) if make is not None else None
        if self._clients is None:
            self.fallback.start(sim)

    def run_round(self, plan: Any, client_ids: Sequence[int], store: Any) -> list:
        if self._clients is not None:
            return self._clients.run(plan, list(client_ids), store)
        return self.fallback.map(lambda i, view: run_client(view, store, plan, i), client_ids)

    def collect_states(self, store: Any) -> None:
        if self._clients is not None:
            self._clients.collect(store)

    def close(self) -> None:
        if self._clients is None:
            self.fallback.close()

    def describe(self) -> str:
        if self._clients is not None:
            return f"batched ({self._clients.batch.backend} oracles)"
        return self.fallback.describe()
