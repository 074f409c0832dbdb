"""Metrics rows in round order, with evaluation done inline or by an evaluation pool.

With ``--eval-async-threads N`` the engine hands over a snapshot (a copy) of ``x`` and goes on
training; a pool worker evaluates it on its own replica (and CUDA stream). Rows are released to
the callbacks strictly in round order as their evaluations finish, so the metrics are the same
numbers as with inline evaluation, only reported a little later.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any

import torch

from .thread_pool import ThreadPool
from .worker import DeviceWorker

Row = dict[str, float]
Evaluate = Callable[[torch.Tensor], dict[str, float]]


class EvalPipeline:
    """Evaluates rows inline or in a pool and emits them in round order.

    ``add(row, x)`` queues a row (``x`` None: nothing to evaluate that round); ``emit`` gets the
    completed rows in order. ``make_evaluate(sim)`` builds an evaluation function of x.
    """

    def __init__(self, sim: Any, make_evaluate: Callable[[Any], Evaluate],
                 emit: Callable[[Row], None], threads: int, intra_op_threads: int):
        self._emit = emit
        self._make_evaluate = make_evaluate
        self._pending: deque[tuple[Row, Future | None]] = deque()
        self._pool = None
        if threads:
            init = partial(self._make_worker, sim, intra_op_threads)
            self._pool = ThreadPool(threads, "eval", init)
        else:
            self._inline = make_evaluate(sim)

    def _make_worker(self, sim: Any, intra_op_threads: int, _k: int
                     ) -> tuple[DeviceWorker, Evaluate]:
        worker = DeviceWorker(sim, sim.device, intra_op_threads)
        return worker, self._make_evaluate(worker.sim)

    @staticmethod
    def _evaluate_in_worker(context: tuple[DeviceWorker, Evaluate], x: torch.Tensor
                            ) -> dict[str, float]:
        worker, evaluate = context
        return worker.call(evaluate, x)

    def add(self, row: Row, x: torch.Tensor | None) -> None:
        future = None
        if x is not None:
            if self._pool is None:
                row.update(self._inline(x))
            else:
                future = self._pool.submit(self._evaluate_in_worker, x.detach().clone())
        self._pending.append((row, future))
        self._release(block=False)

    def flush(self) -> None:
        """Wait for every pending evaluation and emit the remaining rows."""
        self._release(block=True)

    def _release(self, block: bool) -> None:
        while self._pending:
            row, future = self._pending[0]
            if future is not None:
                if not (block or future.done()):
                    return
                row.update(future.result())  # an evaluation error surfaces here
            self._pending.popleft()
            self._emit(row)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
