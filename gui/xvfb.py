"""A private virtual X display (Xvfb) for VNC mode and for screenshots on headless machines.

The display only accepts clients that present a random MIT-MAGIC-COOKIE kept in a 0600 file
(``XAUTHORITY``), and it does not listen on TCP, so other users of the machine cannot watch it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FAMILY_WILD = 0xFFFF
START_TIMEOUT_S = 10.0


class DisplayError(RuntimeError):
    """Xvfb is missing or could not start (the message says what to install or what failed)."""


def missing_binaries(*names: str) -> list[str]:
    """The programs among ``names`` that are not on PATH."""
    return [n for n in names if shutil.which(n) is None]


def write_xauthority(path: Path, cookie: bytes) -> None:
    """Write an Xauthority file with one MIT-MAGIC-COOKIE-1 entry valid for any display."""
    def field(data: bytes) -> bytes:
        return struct.pack(">H", len(data)) + data
    entry = struct.pack(">H", FAMILY_WILD) + field(b"") + field(b"") + \
        field(b"MIT-MAGIC-COOKIE-1") + field(cookie)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(entry)


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """Terminate ``proc`` (SIGTERM, then SIGKILL after ``timeout``) and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def virtual_display(geometry: str = "1600x1000", workdir: Path | None = None
                    ) -> Iterator[dict[str, str]]:
    """Run Xvfb for the duration of the block; yield the environment that points at it.

    Args:
        geometry: screen size ``WIDTHxHEIGHT`` (24-bit colour).
        workdir: a private folder for the cookie file (default: a new temporary folder).

    Yields:
        ``{"DISPLAY": ":N", "XAUTHORITY": path}``.

    Raises:
        DisplayError: Xvfb is not installed or did not start.
    """
    if missing_binaries("Xvfb"):
        raise DisplayError("Xvfb is not installed; on Debian/Ubuntu: sudo apt-get install xvfb")
    with tempfile.TemporaryDirectory(prefix="fl_pytorch_x_", dir=workdir) as tmp:
        auth = Path(tmp) / "Xauthority"
        write_xauthority(auth, secrets.token_bytes(16))
        log = Path(tmp) / "Xvfb.log"
        read_fd, write_fd = os.pipe()
        with open(log, "wb") as log_file:
            proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{geometry}x24",
                 "-nolisten", "tcp", "-auth", str(auth)],
                pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=log_file)
        os.close(write_fd)
        try:
            with os.fdopen(read_fd) as pipe:
                number = pipe.readline().strip()  # written once the server accepts clients
            if not number:
                proc.wait(START_TIMEOUT_S)
                err = log.read_text(errors="replace").strip()
                raise DisplayError(f"Xvfb did not start: {err[-500:] or 'no message'}")
            yield {"DISPLAY": f":{number}", "XAUTHORITY": str(auth)}
        finally:
            stop_process(proc)
