"""SIGTERM and SIGHUP behave like Ctrl-C (SIGINT), from the first line of the program on.

A cluster scheduler, ``timeout`` or a closed terminal stop a run with SIGTERM or SIGHUP; the
run must then end as Ctrl-C ends it: the current round finishes, the result file is written
with status ``interrupted`` and a checkpoint when enabled (``execution/interrupts.py`` defers
the signal to the next round boundary while a run is going). Before the configuration is
validated (imports, parsing) the signal raises ``KeyboardInterrupt`` at once and the command
line prints one line. Once it is validated (:func:`defer_stop_signals`), the run is as good as
started: the first signal is kept pending while the data load and the model is built, and the
run ends at its first round boundary, with a result file. A signal that is ignored when the
program starts (``nohup`` ignores SIGHUP) stays ignored. This module does not import torch, so
it can be installed first.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))
LOGGER = logging.getLogger("fl_pytorch")
_received: list[int] = []
_state: dict[str, Any] = {"defer": False, "pending": None}


def signal_name(signum: int) -> str:
    """``Ctrl-C`` for SIGINT, else the signal's name (``SIGTERM``)."""
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


def record(signum: int) -> None:
    """Remember the last stop signal received (it picks the exit status)."""
    _received.append(signum)


def last_received() -> int | None:
    """The last stop signal this process received, or None."""
    return _received[-1] if _received else None


def exit_status(signum: int | None) -> int:
    """128 + the signal number, as shells report a process ended by that signal."""
    return 128 + (signum or signal.SIGINT)


def _raise_interrupt(signum: int, frame: Any) -> None:
    record(signum)
    if _state["defer"] and _state["pending"] is None:
        _state["pending"] = signum
        name = signal_name(signum)
        LOGGER.warning("%s: stopping at the first round boundary (%s again to stop at once)",
                       name, "press Ctrl-C" if signum == signal.SIGINT else f"send {name}")
        return
    raise KeyboardInterrupt


def defer_stop_signals() -> None:
    """From now on keep the first stop signal pending for the run (:func:`take_pending`)."""
    _state["defer"] = True


def take_pending() -> int | None:
    """The stop signal kept pending since :func:`defer_stop_signals` (then forgotten), or None."""
    signum, _state["pending"] = _state["pending"], None
    return signum


@contextlib.contextmanager
def stop_signals_as_interrupts() -> Iterator[None]:
    """In the main thread: every stop signal raises KeyboardInterrupt (unless ignored).

    Until the block ends: the previous handlers are then put back.
    """
    _state.update(defer=False, pending=None)
    _received.clear()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
                previous[signum] = signal.signal(signum, _raise_interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _state.update(defer=False, pending=None)
