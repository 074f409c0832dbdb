"""Ctrl-C, SIGTERM and SIGHUP between rounds: the first such signal finishes the current round.

A round changes the run's state in several steps (downlink replicas, client states, x, H, the
metrics rows); a KeyboardInterrupt in the middle would leave a state that no checkpoint can
describe. So the first stop signal (``utils/signals.py``: SIGINT, SIGTERM or SIGHUP, which a
scheduler, ``timeout`` or a closed terminal send) is only recorded, and raised at the next
round boundary; the run then ends as "interrupted" with a consistent state to checkpoint. A
second one raises at once (``forced``: the state may be half-updated, so no checkpoint is
written from it). A signal that came while the run was being set up is pending from the
start. Signal handlers belong to the main thread; elsewhere (e.g. a GUI worker, which uses
stop requests) the guard does nothing. Ignored signals stay ignored.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from ..utils.signals import STOP_SIGNALS, record, signal_name, take_pending

LOGGER = logging.getLogger("fl_pytorch")


class InterruptGuard:
    """Defers stop signals to round boundaries.

    ``install()`` at the start of a run, ``boundary()`` between rounds, ``uninstall()`` at the
    end.
    """

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._pending = False
        self.forced = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, self._handle)
        if take_pending() is not None:  # a signal came while the run was being set up
            self._pending = True

    def _handle(self, signum: int, frame: Any) -> None:
        record(signum)
        if self._pending:
            self.forced = True
            raise KeyboardInterrupt
        self._pending = True
        name = signal_name(signum)
        again = "press Ctrl-C again" if signum == signal.SIGINT else f"send {name} again"
        LOGGER.warning("%s: stopping after this round (%s to stop at once)", name, again)

    def boundary(self) -> None:
        """Raise the KeyboardInterrupt deferred since the last boundary, if any."""
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self._previous = {}
