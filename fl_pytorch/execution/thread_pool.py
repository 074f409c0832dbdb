"""A small thread pool with per-thread worker contexts, futures, wait-for-all and stop.

Each worker thread builds its context once (``init(k)`` runs in that thread, e.g. a model replica
and a CUDA stream) and hands it to every task it runs: ``fn(context, *args)``. The constructor
returns only when every worker is ready, so a worker that cannot start fails loudly at once
instead of leaving tasks to hang. A task's exception is stored in its future and re-raised by
``future.result()`` in the thread that asks.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class ThreadPool:
    """``num_workers`` daemon threads serving one FIFO queue of tasks."""

    def __init__(self, num_workers: int, name: str = "pool",
                 init: Callable[[int], Any] | None = None):
        if num_workers < 1:
            raise ValueError(f"{name}: need at least one worker thread, got {num_workers}")
        self.name = name
        self.contexts: list[Any] = [None] * num_workers
        self._tasks: deque[tuple[Future, Callable, tuple]] = deque()
        self._lock = threading.Lock()
        self._has_work = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0
        self._stopped = False
        ready = [threading.Event() for _ in range(num_workers)]
        failures: list[tuple[int, BaseException]] = []
        self._threads = [threading.Thread(target=self._serve, args=(k, init, ready[k], failures),
                                          name=f"{name}-{k}", daemon=True)
                         for k in range(num_workers)]
        for k, thread in enumerate(self._threads):
            try:
                thread.start()
            except RuntimeError as exc:  # the system refuses more threads: end those started
                self._threads = self._threads[:k]
                self.stop()
                raise RuntimeError(f"{name}: cannot start {num_workers} threads, the system "
                                   f"allowed {k} ({exc})") from None
        for event in ready:
            event.wait()
        if failures:
            self.stop()
            k, exc = min(failures, key=lambda f: f[0])
            raise RuntimeError(f"{name}: worker {k} failed to start: "
                               f"{type(exc).__name__}: {exc}") from exc

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Queue ``fn(context, *args)`` for the next free worker; returns its future."""
        future: Future = Future()
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.name}: cannot submit, the pool is stopped")
            self._tasks.append((future, fn, args))
            self._unfinished += 1
            self._has_work.notify()
        return future

    def wait_all(self) -> None:
        """Block until every task submitted so far has finished (or was cancelled)."""
        with self._lock:
            while self._unfinished:
                self._idle.wait()

    def stop(self, cancel_pending: bool = True) -> None:
        """Refuse new tasks, end the queued ones, let running tasks finish, join the workers.

        Queued tasks are cancelled, or run first when ``cancel_pending`` is False. Idempotent.
        """
        with self._lock:
            self._stopped = True
            cancelled = list(self._tasks) if cancel_pending else []
            if cancel_pending:
                self._tasks.clear()
            self._has_work.notify_all()
        for future, _, _ in cancelled:
            future.cancel()
            future.set_running_or_notify_cancel()  # wakes concurrent.futures.wait() callers
            self._task_done()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()

    def __enter__(self) -> ThreadPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _task_done(self) -> None:
        with self._lock:
            self._unfinished -= 1
            if not self._unfinished:
                self._idle.notify_all()

    def _serve(self, k: int, init: Callable[[int], Any] | None, ready: threading.Event,
               failures: list[tuple[int, BaseException]]) -> None:
        try:
            self.contexts[k] = init(k) if init is not None else None
        except BaseException as exc:  # reported by the constructor
            failures.append((k, exc))
            return
        finally:
            ready.set()
        while True:
            with self._lock:
                while not self._tasks and not self._stopped:
                    self._has_work.wait()
                if not self._tasks:
                    return
                future, fn, args = self._tasks.popleft()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(self.contexts[k], *args))
                except BaseException as exc:  # handed to whoever reads the future
                    future.set_exception(exc)
            self._task_done()
