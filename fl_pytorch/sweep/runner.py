"""Run the pending runs of a sweep plan on parallel slots; Ctrl-C stops them cleanly.

Each slot (a worker process, or a thread) takes the next pending run when it is free. The main
thread records every ended run in the index and prints one line for it. A stop signal (Ctrl-C,
SIGTERM, SIGHUP; handled as a message to the main thread, never as an exception in the middle
of an index update) stops handing out runs and forwards the stop to the running ones, which
end after their current round with a result file (status interrupted or stopped: run again
when the sweep is resumed); a second signal stops them at once, a third kills worker
processes.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..utils.signals import STOP_SIGNALS, record
from .plan import PlannedRun, SweepPlan
from .slots import ProcessSlot, ThreadSlot

MODES = ("auto", "processes", "threads")
SIGNALLED = object()
"""Marker a stop signal puts into the queue of ended runs."""


def device_ids(gpu: str) -> list[str]:
    """``--gpu`` as a list of ids (``"0,1"`` -> ``["0", "1"]``)."""
    return [p.strip() for p in gpu.split(",") if p.strip()]


def cuda_ids(gpu: str) -> list[str]:
    """The CUDA devices of ``--gpu``."""
    return [d for d in device_ids(gpu) if d not in ("-1", "cpu")]


def resolve_mode(mode: str, config: Any, jobs: int) -> str:
    """``auto``: worker processes when the sweep spreads over several CUDA devices, else threads.

    Measured on CPU (experiments/bench/bench_sweep.py, docs/sweeps.md): a worker process needs
    seconds to start (a fresh interpreter importing torch), which short runs never win back;
    runs of about 20 s tied. One job runs in this process.
    """
    if jobs <= 1:
        return "threads"
    if mode != "auto":
        return mode
    return "processes" if len(cuda_ids(config.gpu)) > 1 else "threads"


def default_jobs(config: Any, pending: int) -> int:
    """One run per device of ``--gpu`` for GPUs; on CPU, cores / ``--intra-op-threads``."""
    devices = cuda_ids(config.gpu)
    slots = len(devices) if devices else (os.cpu_count() or 1) // max(1, config.intra_op_threads)
    return max(1, min(slots, pending))


def headline(planned: PlannedRun, metric: str | None) -> str:
    """``loss = 0.0123`` for the run's line: ``metric``, else its config's headline metric."""
    final, config = planned.final, planned.run.config
    names = [metric] if metric else [config.metric, "top1_acc", "dist_to_solution", "loss"]
    name = next((n for n in names if n in final), None)
    return f", {name} = {final[name]:.6g}" if name else ""


@dataclass
class SweepOutcome:
    """Counts of the runs' statuses after ``run_plan``; ``interrupted`` after a stop signal."""

    counts: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False


class _Dispatch:
    """The shared to-do list of the slot threads."""

    def __init__(self, runs: list[PlannedRun]):
        self.todo, self.lock, self.stopping = deque(runs), threading.Lock(), False

    def next(self) -> PlannedRun | None:
        with self.lock:
            return None if self.stopping or not self.todo else self.todo.popleft()


def _serve(slot: Any, dispatch: _Dispatch, done: queue.SimpleQueue) -> None:
    try:
        while (planned := dispatch.next()) is not None:
            done.put((planned, slot.run(planned)))
    finally:
        done.put(None)


def make_slots(mode: str, jobs: int, gpu: str) -> list[Any]:
    """``jobs`` slots; with several devices in ``gpu``, slot k uses device k mod their number."""
    devices = device_ids(gpu)
    kind = ProcessSlot if mode == "processes" else ThreadSlot
    return [kind(devices[k % len(devices)] if len(devices) > 1 else None) for k in range(jobs)]


@contextlib.contextmanager
def _signals_to(done: queue.SimpleQueue) -> Iterator[None]:
    """While the block runs, a stop signal puts a marker into ``done`` (no exception).

    ``SimpleQueue.put`` may be called from a signal handler; the main thread's ``get`` wakes up.
    Ignored signals stay ignored; outside the main thread nothing is installed.
    """
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        def handler(signum: int, frame: Any) -> None:
            record(signum)
            done.put(SIGNALLED)
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_plan(plan: SweepPlan, slots: list[Any], say: Callable[[str], None] = print,
             metric: str | None = None) -> SweepOutcome:
    """Run ``plan``'s pending runs on ``slots``; record and announce each as it ends."""
    pending = plan.pending()
    dispatch, done = _Dispatch(pending), queue.SimpleQueue()
    threads = [threading.Thread(target=_serve, args=(slot, dispatch, done), daemon=True,
                                name=f"sweep-slot-{k}") for k, slot in enumerate(slots)]
    outcome, alive, signals = SweepOutcome(), len(threads), 0
    count = len(plan.runs) - len(pending)
    with _signals_to(done):
        for thread in threads:
            thread.start()
        while alive and signals <= 2:  # a third signal kills: running runs stay pending
            item = done.get()
            if item is SIGNALLED:
                signals += 1
                outcome.interrupted = dispatch.stopping = True
                _stop(slots, signals, say)
            elif item is None:
                alive -= 1
            else:
                count += 1
                _record(plan, *item, count, say, metric)
    for slot in slots:
        if signals <= 2:
            slot.close()
    outcome.counts = Counter(p.status for p in plan.runs)
    return outcome


def _record(plan: SweepPlan, planned: PlannedRun, answer: dict[str, Any], count: int,
            say: Callable[[str], None], metric: str | None) -> None:
    plan.finish(planned, answer["status"], answer.get("error"), answer.get("final", {}))
    error = f" ({answer['error']})" if answer.get("error") else ""
    say(f"[{count}/{len(plan.runs)}] {planned.status}: {planned.run.label} "
        f"seed={planned.run.seed}{headline(planned, metric)}{error} -> {planned.path}")


def _stop(slots: list[Any], signals: int, say: Callable[[str], None]) -> None:
    if signals == 1:
        say("stopping: no new runs; running ones end after their current round and keep it "
            "(Ctrl-C again to stop them at once)")
    if signals <= 2:
        for slot in slots:
            slot.interrupt()
        return
    for slot in slots:
        slot.kill()
