"""Headless use: no display, a window manager in VNC mode, shortcuts after dialogs close."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gui.xvfb import missing_binaries

ROOT = Path(__file__).resolve().parents[2]


def test_run_gui_without_a_display_suggests_vnc_mode(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([str(ROOT / "run_gui.sh")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "./run_gui.sh --vnc" in lines[0], result.stderr


# A real X server without a window manager (what VNC mode had): open a dialog, close it, then
# press F7 on the X keyboard (XTEST): the main window must get the key and switch tabs.
FOCUS_SCRIPT = textwrap.dedent("""
    import ctypes, sys, time
    from PyQt5.QtCore import QSettings
    from PyQt5.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    def wait(condition, what, timeout=20.0):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                sys.exit(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    x11, xtst = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXtst.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                       ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XGetInputFocus.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_ulong),
                                   ctypes.POINTER(ctypes.c_int)]
    display = x11.XOpenDisplay(None)

    def x_focus():  # the window that gets the keyboard, as the X server sees it
        focus, revert = ctypes.c_ulong(), ctypes.c_int()
        x11.XGetInputFocus(display, ctypes.byref(focus), ctypes.byref(revert))
        return focus.value

    def press(keysym):
        code = x11.XKeysymToKeycode(display, keysym)
        xtst.XTestFakeKeyEvent(display, code, 1, 0)
        xtst.XTestFakeKeyEvent(display, code, 0, 0)
        x11.XFlush(display)

    window = MainWindow(QSettings(sys.argv[1], QSettings.IniFormat))
    window.show()
    window.activateWindow()
    wait(lambda: app.activeWindow() is window, "the main window to be active")
    for open_dialog in (window.show_about, window.show_log):
        dialog = open_dialog()
        dialog.activateWindow()
        wait(lambda: app.activeWindow() is dialog, "the dialog to be active")
        dialog.close()
        wait(lambda: app.activeWindow() is window and x_focus() == int(window.winId()),
             "the main window to get the keyboard back")
        tab = window.tabs.currentIndex()
        press(0xFFC4)  # XK_F7: next tab
        wait(lambda: window.tabs.currentIndex() == (tab + 1) % 3, "F7 to reach the window")
    print("shortcuts ok")
""")


@pytest.mark.skipif(bool(missing_binaries("Xvfb")), reason="needs Xvfb (apt-get install xvfb)")
def test_shortcuts_work_after_a_dialog_closes_without_a_window_manager(tmp_path):
    from gui.xvfb import virtual_display
    with virtual_display("1200x800", tmp_path) as display:
        env = {**os.environ, **display, "QT_QPA_PLATFORM": "xcb",
               "PYTHONPATH": str(ROOT)}
        result = subprocess.run([sys.executable, "-c", FOCUS_SCRIPT, str(tmp_path / "gui.ini")],
                                env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "shortcuts ok" in result.stdout


def test_a_display_that_cannot_be_opened_also_suggests_vnc_mode():
    from gui.app import display_problem
    problem = display_problem({"DISPLAY": ":987"})  # no X server listens there
    assert problem.startswith("error: cannot open display ':987'")
    assert "./run_gui.sh --vnc" in problem
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_vnc_mode_without_its_window_manager_runs_on_with_a_note(tmp_path, capsys):
    from gui.vnc import start_window_manager
    assert start_window_manager("no-such-window-manager", dict(os.environ),
                                tmp_path / "wm.log") is None
    note = capsys.readouterr().err
    assert note.startswith("note: window manager 'no-such-window-manager' not found")
    assert "sudo apt-get install no-such-window-manager" in note
    assert start_window_manager("none", dict(os.environ), tmp_path / "wm.log") is None
    assert capsys.readouterr().err == ""


def test_window_stays_inside_the_screen_and_fills_it_on_request(window):
    screen = window.screen().availableGeometry()
    window.resize(screen.width() + 500, screen.height() + 400)  # e.g. geometry from a big screen
    window.move(screen.right() - 50, screen.top())
    window.fit_to_screen()
    assert screen.contains(window.geometry())
    window.fit_to_screen(fill=True)  # VNC mode: the whole virtual screen, no black margins
    assert window.geometry() == screen
