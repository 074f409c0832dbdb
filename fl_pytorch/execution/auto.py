"""``--threadpool-for-local-opt auto``: measure the candidate executors, keep the fastest.

Every executor gives bit-identical results, so the choice only affects speed and can be made
from measurements. The first round of each candidate is a warm-up; then each runs ``trials``
more rounds, interleaved, and the one with the least time per client in its best round wins
(the best round is the one least disturbed by other processes); the others are closed. Runs
shorter than the trial keep alternating, which is harmless.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from .base import Executor, Task

LOGGER = logging.getLogger("fl_pytorch")


class AutoExecutor:
    """Chooses among ``candidates`` by measured seconds per client."""

    name = "auto"

    def __init__(self, candidates: Sequence[Executor], trials: int = 3,
                 clock: Callable[[], float] = time.perf_counter):
        if not candidates:
            raise ValueError("auto executor needs at least one candidate")
        self.candidates = list(candidates)
        self.trials = trials
        self.clock = clock
        self.chosen: Executor | None = self.candidates[0] if len(self.candidates) == 1 else None
        self.seconds_per_client = [math.inf] * len(self.candidates)
        self._calls = 0

    def start(self, sim: Any) -> None:
        for c in self.candidates:
            c.start(sim)

    def map(self, task: Task, client_ids: Sequence[int]) -> list:
        if self.chosen is not None:
            return self.chosen.map(task, client_ids)
        n = len(self.candidates)
        k = self._calls % n
        begin = self.clock()
        results = self.candidates[k].map(task, client_ids)
        if self._calls >= n:  # past the warm-up round of every candidate
            seconds = (self.clock() - begin) / max(1, len(client_ids))
            self.seconds_per_client[k] = min(self.seconds_per_client[k], seconds)
        self._calls += 1
        if self._calls == n * (self.trials + 1):
            self._choose()
        return results

    def _choose(self) -> None:
        best = min(range(len(self.candidates)), key=self.seconds_per_client.__getitem__)
        self.chosen = self.candidates[best]
        for k, c in enumerate(self.candidates):
            if k != best:
                c.close()
        timings = ", ".join(f"{c.describe()}: {1e3 * s:.3g} ms/client"
                            for c, s in zip(self.candidates, self.seconds_per_client))
        LOGGER.info("auto executor chose %s (%s)", self.chosen.describe(), timings)

    def close(self) -> None:
        for c in self.candidates:
            c.close()

    def describe(self) -> str:
        if self.chosen is None:
            return "auto (still measuring: " + " | ".join(c.describe() for c in self.candidates) \
                + ")"
        return f"auto -> {self.chosen.describe()}"
