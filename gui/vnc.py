"""VNC mode for headless servers: ``./run_gui.sh --vnc [PORT]``.

Starts the GUI on a private virtual display (Xvfb) with a light window manager (openbox: title
bars, movable dialogs, focus that returns to the main window), filling the screen, and serves that
display with x11vnc, bound to 127.0.0.1 only (``-localhost``) and protected by a VNC password
(generated and printed, or taken from ``--password-file`` or the ``FL_VNC_PASSWORD`` variable).
From a laptop, tunnel the port over ssh and point a VNC viewer at ``localhost:PORT``. Closing the
GUI (or Ctrl+C / SIGTERM here) stops the GUI, the window manager, x11vnc and Xvfb. Without the
window manager installed, the GUI still runs (with a note saying what to install).

Qt's own ``vnc`` platform plugin is not used: it listens on every interface without a password.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .xvfb import DisplayError, missing_binaries, stop_process, virtual_display

DEFAULT_PORT = 5901
WINDOW_MANAGER = "openbox"
"""The window manager VNC mode starts (Debian/Ubuntu package ``openbox``)."""
PASSWORD_ENV = "FL_VNC_PASSWORD"
VNC_PASSWORD_CHARS = 8  # VNC authentication uses the first 8 characters only
READY_TIMEOUT_S = 20.0
EXIT_BAD_INPUT = 2


def generate_password() -> str:
    """A random 8-character password of letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(VNC_PASSWORD_CHARS))


def read_password(password_file: str | None) -> tuple[str, str]:
    """The password and where it came from: ``--password-file``, ``$FL_VNC_PASSWORD`` or new.

    Raises:
        ValueError: the file cannot be read or the password is empty.
    """
    if password_file:
        try:
            password = Path(password_file).read_text().splitlines()[0].strip()
        except (OSError, IndexError) as e:
            raise ValueError(f"--password-file: cannot read a password from {password_file!r} "
                             f"({e or 'empty file'})") from None
        source = f"from {password_file}"
    elif os.environ.get(PASSWORD_ENV):
        password, source = os.environ[PASSWORD_ENV], f"from ${PASSWORD_ENV}"
    else:
        return generate_password(), "generated"
    if not password:
        raise ValueError(f"the VNC password {source} is empty")
    return password, source


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:``port`` and it can be bound."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = READY_TIMEOUT_S) -> bool:
    """Wait until 127.0.0.1:``port`` accepts connections (False if ``proc`` exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def tunnel_instructions(port: int, display: str, password: str, source: str) -> str:
    """What to run on the laptop to see the GUI."""
    host = socket.gethostname()
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container user without passwd entry)
        user = "USER"
    return (f"FL_PyTorch GUI on display {display}, VNC server on 127.0.0.1:{port} "
            f"(this machine only)\n"
            f"VNC password ({source}): {password}\n"
            f"On your laptop, open an ssh tunnel:\n"
            f"    ssh -N -L {port}:127.0.0.1:{port} {user}@{host}\n"
            f"then point a VNC viewer at localhost:{port}. Close the GUI or press Ctrl+C here "
            f"to stop.")


def _parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="run_gui.sh --vnc",
                                     description="Serve the GUI over VNC on 127.0.0.1 only.")
    parser.add_argument("port", nargs="?", type=int, default=DEFAULT_PORT,
                        help=f"VNC port on 127.0.0.1 (default {DEFAULT_PORT})")
    parser.add_argument("--password-file", metavar="FILE",
                        help=f"read the VNC password from FILE's first line (else "
                             f"${PASSWORD_ENV}, else a generated one)")
    parser.add_argument("--geometry", default="1600x1000", help="screen size WIDTHxHEIGHT")
    parser.add_argument("--window-manager", default=WINDOW_MANAGER, metavar="PROGRAM",
                        help=f"window manager to start (default {WINDOW_MANAGER}; none: no "
                             "window manager)")
    return parser.parse_known_args(list(argv))


def start_window_manager(program: str, env: dict[str, str], log: Path
                         ) -> subprocess.Popen | None:
    """Start ``program`` on the display of ``env`` (None, with a note, when it is missing)."""
    if program == "none":
        return None
    if missing_binaries(program):
        print(f"note: window manager {program!r} not found, the GUI runs without one (dialogs "
              f"have no title bars and cannot be moved); on Debian/Ubuntu: sudo apt-get "
              f"install {program}", file=sys.stderr)
        return None
    with open(log, "wb") as out:
        return subprocess.Popen([program], env=env, stdout=subprocess.DEVNULL, stderr=out,
                                stdin=subprocess.DEVNULL)


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def serve(port: int, password: str, source: str, geometry: str, gui_args: Sequence[str],
          window_manager: str = WINDOW_MANAGER) -> int:
    """Run Xvfb + window manager + x11vnc + the GUI until the GUI exits or a signal; clean up."""
    with tempfile.TemporaryDirectory(prefix="fl_pytorch_vnc_") as tmp, \
            virtual_display(geometry, Path(tmp)) as display_env:
        passwd = Path(tmp) / "passwd"
        fd = os.open(passwd, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        env = {**os.environ, **display_env}
        with open(Path(tmp) / "x11vnc.log", "wb") as log:
            vnc = subprocess.Popen(
                ["x11vnc", "-display", display_env["DISPLAY"], "-auth",
                 display_env["XAUTHORITY"], "-rfbport", str(port), "-localhost", "-noipv6",
                 "-passwdfile", f"rm:{passwd}", "-forever", "-shared", "-quiet"],
                env=env, stdout=subprocess.DEVNULL, stderr=log)
        gui = None
        manager = start_window_manager(window_manager, env, Path(tmp) / "wm.log")
        try:
            if not wait_for_port(port, vnc):
                err = (Path(tmp) / "x11vnc.log").read_text(errors="replace").strip()
                print(f"error: x11vnc did not start on 127.0.0.1:{port}: {err[-500:]}",
                      file=sys.stderr)
                return 1
            gui = subprocess.Popen([sys.executable, "-m", "gui", "--fill-screen", *gui_args],
                                   env={**env, "QT_QPA_PLATFORM": "xcb"})
            print(tunnel_instructions(port, display_env["DISPLAY"], password, source),
                  flush=True)
            return gui.wait()
        finally:
            if gui is not None:
                stop_process(gui, timeout=15.0)  # the GUI stops its runs and saves them
            stop_process(vnc)
            if manager is not None:
                stop_process(manager)


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 -m gui.vnc [PORT] [--password-file FILE] [GUI ARGS...]``."""
    args, gui_args = _parse(sys.argv[1:] if argv is None else argv)
    missing = missing_binaries("Xvfb", "x11vnc")
    if missing:
        print(f"error: VNC mode needs {' and '.join(missing)}; on Debian/Ubuntu: "
              "sudo apt-get install xvfb x11vnc", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not 1 <= args.port <= 65535 or not port_is_free(args.port):
        print(f"error: port {args.port} is not free on 127.0.0.1; give another: "
              "./run_gui.sh --vnc PORT", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        password, source = read_password(args.password_file)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if len(password) > VNC_PASSWORD_CHARS:
        print(f"note: VNC uses only the first {VNC_PASSWORD_CHARS} characters of the password",
              file=sys.stderr)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _raise_exit)
    try:
        return serve(args.port, password, source, args.geometry, gui_args, args.window_manager)
    except DisplayError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
