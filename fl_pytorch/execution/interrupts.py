"""Ctrl-C between rounds: the first SIGINT of a run finishes the current round.

A round changes the run's state in several steps (downlink replicas, client states, x, H, the
metrics rows); a KeyboardInterrupt in the middle would leave a state that no checkpoint can
describe. So the first SIGINT is only recorded, and raised at the next round boundary; the run
then ends as "interrupted" with a consistent state to checkpoint. A second SIGINT raises at
once (``forced``: the state may be half-updated, so no checkpoint is written from it). Signal
handlers belong to the main thread; elsewhere (e.g. a GUI worker, which uses stop requests)
the guard does nothing.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

LOGGER = logging.getLogger("fl_pytorch")


class InterruptGuard:
    """Defers Ctrl-C to round boundaries.

    ``install()`` at the start of a run, ``boundary()`` between rounds, ``uninstall()`` at the
    end.
    """

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False
        self._pending = False
        self.forced = False

    def install(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True

    def _handle(self, signum: int, frame: Any) -> None:
        if self._previous is signal.SIG_IGN:
            return
        if self._pending:
            self.forced = True
            raise KeyboardInterrupt
        self._pending = True
        LOGGER.warning("Ctrl-C: stopping after this round (press Ctrl-C again to stop at once)")

    def boundary(self) -> None:
        """Raise the KeyboardInterrupt deferred since the last boundary, if any."""
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt

    def uninstall(self) -> None:
        if self._installed:
            previous = self._previous
            signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
            self._installed = False
