"""Log configuration of the command line (``--loglevel``, ``--logfilter``, ``--logfile``)."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from ..core.callbacks import Callback, RunInfo
from ..errors import describe_os_error, file_error

LOGGER = logging.getLogger("fl_pytorch")


class MessageFilter(logging.Filter):
    """Passes the records whose message matches ``pattern`` from its start (``re.match``).

    The original tool's ``--logfilter`` (default ``.*``: everything).
    """

    def __init__(self, pattern: str):
        super().__init__()
        self.regex = re.compile(pattern)

    def filter(self, record: logging.LogRecord) -> bool:
        return self.regex.match(record.getMessage()) is not None


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when a record is emitted, not as it was when built.

    A run inside a process that swaps ``sys.stderr`` (the GUI's log window, a test's capture)
    must not write to a stream that has since been closed.
    """

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass  # always the current sys.stderr


def configure_logging(level: str, logfile: str = "", logfilter: str = ".*") -> None:
    """Log to stderr (and to ``logfile``, creating its folder) at ``level``.

    Only messages that ``logfilter`` matches are written.
    """
    handlers: list[logging.Handler] = [CurrentStderrHandler()]
    if logfile:
        try:
            Path(logfile).parent.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.FileHandler(logfile))
        except OSError as e:
            raise file_error("--logfile", logfile, describe_os_error(e)) from None
    for h in handlers:
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        h.addFilter(MessageFilter(logfilter))
    LOGGER.handlers[:] = handlers
    LOGGER.setLevel(level)
    LOGGER.propagate = False


class LogCallback(Callback):
    """Logs the start, each evaluated round (DEBUG) and the end of a run."""

    def on_run_begin(self, info: RunInfo) -> None:
        cfg = info.config
        LOGGER.info("start: %s on %s (%d clients, d=%d), %d rounds", cfg.algorithm, cfg.dataset,
                    info.problem.get("num_clients", 0), info.problem.get("dimension", 0),
                    info.total_rounds)

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug("round %d: %s", row["round"],
                         ", ".join(f"{k}={v:.6g}" for k, v in row.items() if k != "round"))

    def on_run_end(self, info: RunInfo, result: dict) -> None:
        level = logging.ERROR if result["status"] == "failed" else logging.INFO
        LOGGER.log(level, "end: %s after %d rounds%s", result["status"],
                   max(0, len(result["metrics"]["round"]) - 1),  # no row 0: failed at start
                   f" ({result['error']})" if result["error"] else "")
