"""Per-device thread pools: N worker threads per compute device, one CUDA stream per worker.

Clients are assigned to devices deterministically, round-robin by their position in the round's
(sorted) participant list, so every device gets its share; inside a device, the pool's workers
take clients from one queue. Which worker runs a client does not matter: every worker holds an
identical replica and uses the same number of CPU threads, each client draws from its own
random stream, and ``map`` returns results in client-id order, so the engine aggregates in that
order whatever the completion order.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import torch

from .base import ClientTaskError, Task
from .thread_pool import ThreadPool
from .worker import DeviceWorker, hand_over


class DevicePoolExecutor:
    """One :class:`ThreadPool` of ``workers_per_device`` threads per entry of ``devices``."""

    name = "threads"

    def __init__(self, devices: Sequence[torch.device], workers_per_device: int,
                 intra_op_threads: int = 1):
        if not devices or workers_per_device < 1:
            raise ValueError("need at least one device and one worker per device")
        self.devices = [torch.device(d) for d in devices]
        self.workers_per_device = workers_per_device
        self.intra_op_threads = intra_op_threads
        self._pools: list[ThreadPool] = []
        self._main = torch.device("cpu")

    def start(self, sim: Any) -> None:
        """Copy the data once per device and start the pools (one replica per worker)."""
        self._main = sim.device
        views: dict[torch.device, Any] = {}
        for j, dev in enumerate(self.devices):
            if dev not in views:
                views[dev] = sim.on_device(dev)
            init = partial(self._make_worker, views[dev], dev)
            self._pools.append(ThreadPool(self.workers_per_device, f"local-opt-{dev}-{j}", init))

    def _make_worker(self, view: Any, device: torch.device, _k: int) -> DeviceWorker:
        return DeviceWorker(view, device, self.intra_op_threads)

    def map(self, task: Task, client_ids: Sequence[int]) -> list:
        """Run every client; results in the order of ``client_ids``.

        The first failure (in that order) is raised here, naming the client, after the round's
        other tasks have ended.
        """
        futures = [self._pools[pos % len(self._pools)].submit(self._run, task, cid)
                   for pos, cid in enumerate(client_ids)]
        results, failure = [], None
        for pos, (cid, future) in enumerate(zip(client_ids, futures)):
            if failure is None:
                exc = future.exception()
                if exc is None:
                    results.append(future.result())
                    continue
                failure = (cid, self.devices[pos % len(self._pools)], exc)
                for later in futures[pos + 1:]:
                    later.cancel()
            elif not future.cancelled():
                future.exception()  # wait: nothing of this round may still be running
        if failure is not None:
            cid, dev, exc = failure
            raise ClientTaskError(f"client {cid} on {dev}: {type(exc).__name__}: {exc}") from exc
        return results

    def _run(self, worker: DeviceWorker, task: Task, client_id: int) -> Any:
        return worker.call(lambda: hand_over(task(client_id, worker.sim), self._main))

    def close(self) -> None:
        """Cancel queued tasks, let running ones finish, join every thread."""
        for pool in self._pools:
            pool.stop()
        self._pools = []

    def describe(self) -> str:
        devices = ",".join(str(d) for d in self.devices)
        return f"threads: {self.workers_per_device} per device on {devices}, " \
               f"{self.intra_op_threads} CPU thread(s) each"
