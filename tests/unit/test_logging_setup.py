"""The command line's log handler writes to the current stderr, even after it was swapped."""

import io
import logging
import sys

from fl_pytorch.tracking.logging_setup import configure_logging


def test_a_log_line_goes_to_the_stderr_of_the_moment_not_a_closed_one(monkeypatch):
    logger = logging.getLogger("fl_pytorch")
    saved = logger.handlers[:], logger.level, logger.propagate
    first, second = io.StringIO(), io.StringIO()
    try:
        monkeypatch.setattr(sys, "stderr", first)
        configure_logging("WARNING", logfilter="kept")
        first.close()  # e.g. a captured stream at the end of a test, or a closed log window
        monkeypatch.setattr(sys, "stderr", second)
        logger.warning("kept: written to the new stream")
        logger.warning("filtered out")
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    lines = second.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("WARNING fl_pytorch: kept: written to the new "
                                                 "stream")
