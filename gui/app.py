"""Entry point of the desktop GUI: ``./run_gui.sh`` or ``python3 -m gui [RESULT FILES...]``."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication

from .main_window import MainWindow

SIGNAL_POLL_MS = 200  # lets Python run its signal handlers while Qt's event loop waits


def main(argv: Sequence[str] | None = None) -> int:
    """Open the main window (result files given as arguments open in the Analysis tab).

    SIGINT (Ctrl+C) and SIGTERM close the window like File > Exit: running experiments are
    stopped and keep their completed rounds.
    """
    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("FL_PyTorch")
    app.setOrganizationName("FL_PyTorch")
    window = MainWindow()
    files = [a for a in argv[1:] if not a.startswith("-")]
    if files:
        window.analysis_tab.open_files(files)
        window.tabs.setCurrentWidget(window.analysis_tab)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close())
    poll = QTimer()
    poll.timeout.connect(lambda: None)
    poll.start(SIGNAL_POLL_MS)
    window.show()
    return app.exec_()
