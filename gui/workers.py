"""Background runs: each experiment runs in its own thread; progress reaches the GUI as signals.

The engine calls :class:`_SignalCallback` from its thread. It only appends rows to a locked
buffer and emits a signal; Qt queues the signal to the GUI thread, which drains the buffer. At
most one notification is pending at a time, so a fast run cannot flood the event loop.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PyQt5.QtCore import QObject, pyqtSignal

from fl_pytorch import Callback, Config, ConfigError, RunInfo, prepare
from fl_pytorch.results import to_plain
from fl_pytorch.tracking.logging_setup import LogCallback

LOG = logging.getLogger("fl_pytorch.gui")


class _SignalCallback(Callback):
    """Engine-thread side: buffer rows, notify the GUI thread."""

    def __init__(self, worker: RunWorker):
        self.worker = worker

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        self.worker._push(row)


class RunWorker(QObject):
    """Runs one configuration in a daemon thread.

    Signals:
        rows_ready: new metrics rows can be taken with :meth:`take_rows`.
        done(dict): the engine's result dict (any final status).
        crashed(str): the run could not be built or crashed outside the round loop.
    """

    rows_ready = pyqtSignal()
    done = pyqtSignal(dict)
    crashed = pyqtSignal(str)

    def __init__(self, config: Config, out_path: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.config = config
        self.out_path = out_path
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._rows: list[dict[str, float]] = []
        self._notified = False
        self._thread = threading.Thread(target=self._run, name=f"fl-run-{out_path.stem}",
                                        daemon=True)

    def start(self) -> None:
        """Build and run the simulation in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the run to end after its current round (thread-safe; results are kept)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def take_rows(self) -> list[dict[str, float]]:
        """The rows received since the last call (GUI thread)."""
        with self._lock:
            rows, self._rows, self._notified = self._rows, [], False
        return rows

    def _push(self, row: dict[str, float]) -> None:
        with self._lock:
            self._rows.append(dict(row))
            notify, self._notified = not self._notified, True
        if notify:
            self.rows_ready.emit()

    def _run(self) -> None:
        try:
            handle = prepare(self.config, [LogCallback(), _SignalCallback(self)], self.out_path,
                             stop_event=self._stop)
            result = handle.run()
        except ConfigError as e:
            LOG.error("%s: %s", self.out_path.name, e)
            self.crashed.emit(str(e))
            return
        except Exception as e:  # shown in the run's row; the GUI keeps going
            LOG.exception("%s crashed", self.out_path.name)
            self.crashed.emit(f"{type(e).__name__}: {e}")
            return
        self.done.emit(to_plain(result))
