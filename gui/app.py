"""Entry point of the desktop GUI: ``./run_gui.sh`` or ``python3 -m gui [RESULT FILES...]``.

Without a display (a headless server, an ssh session without X forwarding) it says in one line
to use VNC mode, instead of letting Qt abort.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Sequence

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication

SIGNAL_POLL_MS = 200  # lets Python run its signal handlers while Qt's event loop waits
EXIT_NO_DISPLAY = 2
FILL_SCREEN = "--fill-screen"  # VNC mode: the window takes the whole (virtual) screen


def _x_display_opens(name: str) -> bool:
    """Whether X display ``name`` accepts us (True when libX11 cannot be loaded to check)."""
    path = ctypes.util.find_library("X11")
    if path is None:
        return True
    x11 = ctypes.CDLL(path)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(name.encode())
    if display:
        x11.XCloseDisplay(display)
    return bool(display)


def display_problem(env: dict[str, str] | None = None) -> str | None:
    """Why no window can open here (one line that suggests VNC mode), or None."""
    env = dict(os.environ if env is None else env)
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if not sys.platform.startswith("linux") or platform not in ("", "xcb") or \
            env.get("WAYLAND_DISPLAY"):
        return None
    hint = "on a headless machine run ./run_gui.sh --vnc (docs/gui.md)"
    if not env.get("DISPLAY"):
        return f"error: no display to open the GUI on ($DISPLAY is not set); {hint}"
    if not _x_display_opens(env["DISPLAY"]):
        return f"error: cannot open display {env['DISPLAY']!r}; {hint}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Open the main window (result files given as arguments open in the Analysis tab).

    SIGINT (Ctrl+C) and SIGTERM close the window like File > Exit: running experiments are
    stopped and keep their completed rounds.
    """
    argv = list(sys.argv if argv is None else argv)
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    from .main_window import MainWindow  # the engine's imports take seconds: after the check
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
    if FILL_SCREEN in argv:
        window.fit_to_screen(fill=True)
        window.showMaximized()
    else:
        window.show()
    return app.exec_()
